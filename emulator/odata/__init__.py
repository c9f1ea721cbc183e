"""OData for the Dataverse emulator: query options, ``$filter`` parsing and compilation, record references.

The server calls :func:`parse_query_options` and :func:`parse_record_ref`; the
store compiles the parsed filter against a table with :func:`compile_filter`.
"""

from __future__ import annotations

from emulator.odata.ast import FilterExpr
from emulator.odata.filter_parser import parse_filter
from emulator.odata.options import ExpandOption, QueryOptions, parse_query_options
from emulator.odata.refs import RecordRef, parse_entity_url, parse_record_ref
from emulator.odata.sql import compile_filter, resolve_property

__all__ = [
    "ExpandOption",
    "FilterExpr",
    "QueryOptions",
    "RecordRef",
    "compile_filter",
    "parse_entity_url",
    "parse_filter",
    "parse_query_options",
    "parse_record_ref",
    "resolve_property",
]
