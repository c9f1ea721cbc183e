"""The schema's part of the solution: tables, standard-table columns and global choices (X-01).

The suite's own tables go in whole (``behavior`` 0, so an import creates them); standard
tables it adds columns to go in as a shell (``behavior`` 2) carrying only those columns,
so the solution never takes ownership of, or depends on the rest of, ``contact`` or
``phonecall``.
"""

from __future__ import annotations

import dataverse_schema as registry
from dataverse_schema.customizations_xml import implied_relationships
from solution.components import Behaviour, ComponentType, Contribution, RootComponent, SolutionSchema


def solution_schema() -> SolutionSchema:
    """Everything in ``dataverse_schema`` that the solution carries."""
    tables = registry.custom_tables() + tuple(t for t in registry.standard_tables() if t.custom_columns)
    declared = registry.relationships()
    included = {t.logical_name for t in tables}
    return SolutionSchema(
        tables=tables,
        relationships=declared + tuple(implied_relationships(tables, declared)),
        option_sets=registry.global_option_sets(),
        reference_tables=tuple(t for t in registry.TABLES.values() if t.logical_name not in included),
    )


class SchemaComponents:
    """Root components for every table and global choice in the solution."""

    name = "schema"

    def contribute(self, schema: SolutionSchema) -> Contribution:
        roots = [
            RootComponent(
                ComponentType.ENTITY,
                schema_name=t.logical_name,
                behavior=Behaviour.INCLUDE_SUBCOMPONENTS if t.is_custom else Behaviour.SHELL_ONLY,
            )
            for t in schema.tables
        ]
        roots += [RootComponent(ComponentType.OPTION_SET, schema_name=o.name) for o in schema.option_sets if o.name]
        return Contribution(root_components=roots)
