"""Fixtures for the solution tests: the official customization XSDs and one built solution."""

from __future__ import annotations

import pytest
import xmlschema

from solution.builder import SolutionPackage, build_package
from solution.components import SolutionSchema
from solution.schema_components import solution_schema
from tests import xsd


@pytest.fixture(scope="session")
def customization_schema() -> xmlschema.XMLSchema:
    """Loaded once per session: parsing the XSD set takes about a second."""
    return xsd.customization_schema()


@pytest.fixture(scope="session")
def schema() -> SolutionSchema:
    return solution_schema()


@pytest.fixture(scope="session")
def unmanaged(schema: SolutionSchema) -> SolutionPackage:
    return build_package(schema, version="1.2.3.4", managed=False)


@pytest.fixture(scope="session")
def managed(schema: SolutionSchema) -> SolutionPackage:
    return build_package(schema, version="1.2.3.4", managed=True)
