"""``InsertOptionValue`` / ``UpdateOptionValue``: the option set a request names and its new options.

A local choice is named by ``EntityLogicalName`` and ``AttributeLogicalName``, a global one by
``OptionSetName`` (a column using a global choice is changed through the global one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from dataverse_schema.model import OPTION_VALUE_BASE, PERSIAN, Column, ColumnType, Option, OptionSet, Table
from emulator.errors import DUPLICATE, ODataError
from emulator.metadata import invalid
from emulator.metadata.fields import label_text

_CHOICE_TYPES = (ColumnType.PICKLIST, ColumnType.MULTI_PICKLIST, ColumnType.STATE, ColumnType.STATUS)


def local_choice(table: Table, column: Column) -> OptionSet:
    """The options of a column with its own (local) choice."""
    if column.options is None or column.type not in _CHOICE_TYPES:
        raise invalid(f"'{column.logical_name}' is not a choice column.")
    if column.options.is_global:
        raise invalid(
            f"'{column.logical_name}' uses the global choice '{column.options.name}'; change it with OptionSetName."
        )
    return column.options


def changed_options(
    action: str, body: dict[str, Any], current: OptionSet, not_found: Callable[[str, str], ODataError]
) -> tuple[int, OptionSet]:
    """The value inserted or updated and the option set after the change."""
    value, text = body.get("Value"), label_text(body.get("Label"))
    if text is None:
        raise invalid(f"{action} needs a 'Label' with an English (1033) LocalizedLabel.")
    persian = label_text(body.get("Label"), PERSIAN)
    values = [o.value for o in current.options]
    if action == "InsertOptionValue":
        if value is None:
            value = max(values, default=OPTION_VALUE_BASE - 1) + 1
        if not isinstance(value, int) or isinstance(value, bool) or value in values:
            raise ODataError(400, DUPLICATE, f"The option value {value!r} is not an unused integer.")
        options = (*current.options, Option(value, text, persian))
    else:
        if value not in values:
            raise not_found("an option with value", str(value))
        options = tuple(
            Option(o.value, text, persian or o.label_fa) if o.value == value else o for o in current.options
        )
    return int(value), replace(current, options=options)
