"""Fixtures for the OData tests."""

from __future__ import annotations

import pytest

from dataverse_schema.model import Table

from .odata_tables import contact_table


@pytest.fixture()
def contact() -> Table:
    return contact_table()
