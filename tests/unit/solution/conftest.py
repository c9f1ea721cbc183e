"""Fixtures for the solution tests: the official customization XSDs and one built solution."""

from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema

from solution.builder import SolutionPackage, build_package
from solution.components import SolutionSchema
from solution.schema_components import solution_schema

XSD_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "xsd"


@pytest.fixture(scope="session")
def customization_schema() -> xmlschema.XMLSchema:
    """Loaded once per session: parsing the XSD set takes about a second."""
    entry = XSD_DIR / "CustomizationsSolution.xsd"
    assert entry.is_file(), f"the customization XSDs are expected in {XSD_DIR} (see its README)"
    return xmlschema.XMLSchema(str(entry))


@pytest.fixture(scope="session")
def schema() -> SolutionSchema:
    return solution_schema()


@pytest.fixture(scope="session")
def unmanaged(schema: SolutionSchema) -> SolutionPackage:
    return build_package(schema, version="1.2.3.4", managed=False)


@pytest.fixture(scope="session")
def managed(schema: SolutionSchema) -> SolutionPackage:
    return build_package(schema, version="1.2.3.4", managed=True)
