"""The seam every part of the solution plugs into (X-01).

A *component provider* looks at the schema going into the solution and hands back a
:class:`Contribution`: root components for ``solution.xml``, elements for sections of
``customizations.xml`` (``Roles``, later ``WebResources``, ``RibbonDiffXml``, ...), extra
children of a table's ``Entity`` element (later ``FormXml``, ``SavedQueries``,
``Visualizations``) and extra files for the zip (web resource bodies). The builder merges
contributions; adding forms, views, charts, ribbons or web resources means writing one
more provider, not changing the builder.
"""

from __future__ import annotations

import enum
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Protocol

from dataverse_schema.model import OptionSet, Relationship, Table


class ComponentType(enum.IntEnum):
    """``solutioncomponent.componenttype`` codes used as ``RootComponent type``."""

    ENTITY = 1
    ATTRIBUTE = 2
    RELATIONSHIP = 3
    OPTION_SET = 9
    ENTITY_RELATIONSHIP = 10
    ENTITY_KEY = 14
    ROLE = 20
    FORM = 24
    SAVED_QUERY = 26
    WORKFLOW = 29
    RIBBON_CUSTOMIZATION = 50
    SAVED_QUERY_VISUALIZATION = 59
    SYSTEM_FORM = 60
    WEB_RESOURCE = 61
    SITE_MAP = 62
    FIELD_SECURITY_PROFILE = 70
    APP_MODULE = 80


class Behaviour(enum.IntEnum):
    """How much of a table a root component brings (``behavior``)."""

    INCLUDE_SUBCOMPONENTS = 0
    NO_SUBCOMPONENTS = 1
    SHELL_ONLY = 2


@dataclass(frozen=True, order=True)
class RootComponent:
    """One ``<RootComponent>``: by ``schema_name`` (tables, choices) or by ``id`` (roles)."""

    type: ComponentType
    schema_name: str | None = None
    id: str | None = None
    behavior: Behaviour = Behaviour.INCLUDE_SUBCOMPONENTS

    def __post_init__(self) -> None:
        if (self.schema_name is None) == (self.id is None):
            raise ValueError("a root component is named by exactly one of schema_name or id")

    def element(self) -> ET.Element:
        attributes = {"type": str(int(self.type))}
        if self.schema_name is not None:
            attributes["schemaName"] = self.schema_name
        else:
            attributes["id"] = "{" + str(self.id) + "}"
        attributes["behavior"] = str(int(self.behavior))
        return ET.Element("RootComponent", attributes)


@dataclass(frozen=True)
class SolutionSchema:
    """What goes into the solution from ``dataverse_schema``.

    ``tables`` are the suite's own tables plus the standard tables it adds columns
    to; ``reference_tables`` are the other tables relationships may point at.
    """

    tables: tuple[Table, ...]
    relationships: tuple[Relationship, ...] = ()
    option_sets: tuple[OptionSet, ...] = ()
    reference_tables: tuple[Table, ...] = ()

    @property
    def custom_tables(self) -> tuple[Table, ...]:
        return tuple(t for t in self.tables if t.is_custom)

    def table(self, logical_name: str) -> Table:
        for candidate in self.tables + self.reference_tables:
            if candidate.logical_name == logical_name:
                return candidate
        raise KeyError(f"no table {logical_name!r} in the solution schema")


@dataclass
class Contribution:
    """What one provider adds to the solution."""

    root_components: list[RootComponent] = field(default_factory=list)
    sections: dict[str, list[ET.Element]] = field(default_factory=dict)
    entity_parts: dict[str, list[ET.Element]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    #: ``(table, column)`` pairs protected by column security.
    secured_columns: set[tuple[str, str]] = field(default_factory=set)

    def merge(self, other: Contribution) -> None:
        """Add ``other`` to this one; two providers may not write the same file.

        Parts of one table with the same tag (``SavedQueries`` from two providers) become one.
        """
        clash = sorted(set(self.files) & set(other.files))
        if clash:
            raise ValueError(f"two providers write the same files: {clash}")
        self.root_components.extend(other.root_components)
        for name, elements in other.sections.items():
            self.sections.setdefault(name, []).extend(elements)
        for table, elements in other.entity_parts.items():
            parts = self.entity_parts.setdefault(table, [])
            for element in elements:
                same = next((part for part in parts if part.tag == element.tag), None)
                if same is None:
                    parts.append(element)
                else:
                    _merge_part(same, element)
        self.files.update(other.files)
        self.secured_columns |= other.secured_columns


#: Parts whose items sit in one wrapper element (``SavedQueries/savedqueries/savedquery``).
_WRAPPED_PARTS = {"SavedQueries": "savedqueries"}


def _merge_part(target: ET.Element, addition: ET.Element) -> None:
    """Two providers add to one part of a table (system views and CommSuite views): one part."""
    wrapper = _WRAPPED_PARTS.get(target.tag)
    if wrapper is None:
        target.extend(list(addition))
        return
    holder = target.find(wrapper)
    if holder is None:
        holder = ET.SubElement(target, wrapper)
    for extra in addition.findall(wrapper):
        holder.extend(list(extra))


class ComponentProvider(Protocol):
    """One part of the solution (security roles, forms, views, web resources, ...)."""

    name: str

    def contribute(self, schema: SolutionSchema) -> Contribution: ...
