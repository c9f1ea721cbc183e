"""Fixtures for the OData tests."""

from __future__ import annotations

import pytest
from .odata_tables import contact_table

from dataverse_schema.model import Table


@pytest.fixture()
def contact() -> Table:
    return contact_table()
