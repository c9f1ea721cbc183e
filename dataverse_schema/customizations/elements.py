"""What every part of ``customizations.xml`` shares: the solution's context and small element builders."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from dataverse_schema.model import ENGLISH, PERSIAN, Column, Table

#: An English label and its Persian translation, if any.
Labels = tuple[str, str | None]


class Context:
    """What the element builders need to know about the whole solution."""

    def __init__(
        self,
        tables: Sequence[Table],
        references: Sequence[Table],
        introduced_version: str,
        secured: frozenset[tuple[str, str]],
    ) -> None:
        self.secured = secured
        self.tables = {t.logical_name: t for t in tables}
        self.references = {t.logical_name: t for t in references}
        self.version = introduced_version

    def schema_name(self, logical_name: str) -> str:
        """The cased name of a table in the solution or among the reference tables (else as given)."""
        known = self.tables.get(logical_name) or self.references.get(logical_name)
        return known.schema_name if known else logical_name


def labels(parent: ET.Element, container: str, item: str, label: Labels) -> None:
    """A ``container`` of ``item`` elements under ``parent``: English always, Persian when given."""
    english, persian = label
    holder = ET.SubElement(parent, container)
    ET.SubElement(holder, item, {"description": english, "languagecode": str(ENGLISH)})
    if persian:
        ET.SubElement(holder, item, {"description": persian, "languagecode": str(PERSIAN)})


def text(tag: str, content: str, **attributes: str) -> ET.Element:
    """An element ``tag`` holding ``content``."""
    element = ET.Element(tag, attributes)
    element.text = content
    return element


def by_logical_name(item: Table | Column) -> str:
    """Sort key: a table's or column's logical name."""
    return item.logical_name
