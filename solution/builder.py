"""Builds the importable CommSuite solution zip from the schema and component providers (X-01).

The zip holds ``solution.xml``, ``customizations.xml`` and ``[Content_Types].xml`` at its
root, plus any files providers add (web resources). It is deterministic: the same schema,
version and providers give the same bytes (fixed timestamps, sorted entries), so a build
can be checked into a release and reproduced.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dataverse_schema.customizations_xml import build_customizations, serialise
from dataverse_schema.model import SOLUTION_UNIQUE_NAME
from solution.app import CommSuiteApp
from solution.components import ComponentProvider, Contribution, SolutionSchema
from solution.forms import MainForms
from solution.manifest import content_types_xml, solution_xml
from solution.reports import ViewsAndCharts
from solution.ribbon import RibbonCommands
from solution.schema_components import SchemaComponents
from solution.security import SecurityRoles
from solution.system_views import SystemViews
from solution.targets import Target, down_level, newer_than_target, profile

SOLUTION_XML = "solution.xml"
CUSTOMIZATIONS_XML = "customizations.xml"
CONTENT_TYPES_XML = "[Content_Types].xml"
_RESERVED = {SOLUTION_XML, CUSTOMIZATIONS_XML, CONTENT_TYPES_XML}
#: Every entry gets this timestamp, the earliest a zip can record, so builds are reproducible.
_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class SolutionPackage:
    """A built solution: its version, whether it is managed, and the files of its zip."""

    version: str
    managed: bool
    files: dict[str, bytes]
    target: Target = Target.ONLINE
    #: What the target lacks and the build left out (web resources, form handlers, ribbon buttons).
    left_out: tuple[str, ...] = ()

    @property
    def file_name(self) -> str:
        """``CommSuite_0_1_0_0.zip`` / ``CommSuite_0_1_0_0_managed.zip``, as Dataverse names exports."""
        suffix = profile(self.target).file_suffix + ("_managed" if self.managed else "")
        return f"{SOLUTION_UNIQUE_NAME}_{self.version.replace('.', '_')}{suffix}.zip"

    def zip_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name in _entry_order(self.files):
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIMESTAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 0
                info.external_attr = 0
                archive.writestr(info, self.files[name], compresslevel=9)
        return buffer.getvalue()


def default_providers() -> tuple[ComponentProvider, ...]:
    """The parts of the solution: schema, security, system views, CommSuite views and charts, forms, ribbon
    buttons and web resources, the model-driven app."""
    return (
        SchemaComponents(),
        SecurityRoles(),
        SystemViews(),
        ViewsAndCharts(),
        MainForms(),
        RibbonCommands(),
        CommSuiteApp(),
    )


def build_package(
    schema: SolutionSchema,
    *,
    version: str,
    managed: bool,
    providers: Sequence[ComponentProvider] | None = None,
    target: Target | str = Target.ONLINE,
) -> SolutionPackage:
    """The solution for ``schema`` at ``version`` (four dotted numbers), importable by ``target``."""
    target_profile = profile(target)
    contribution = Contribution()
    for provider in default_providers() if providers is None else providers:
        contribution.merge(provider.contribute(schema))
    reserved = sorted(_RESERVED & set(contribution.files))
    if reserved:
        raise ValueError(f"providers may not write {reserved}")
    customizations = build_customizations(
        schema.tables,
        relationships=schema.relationships,
        option_sets=schema.option_sets,
        sections=contribution.sections,
        entity_parts=contribution.entity_parts,
        reference_tables=schema.reference_tables,
        secured_columns=contribution.secured_columns,
    )
    kept = down_level(customizations, contribution.files, contribution.root_components, target_profile)
    newer = newer_than_target(customizations, target_profile)
    if newer:
        raise ValueError(f"the {target_profile.target.value} solution would carry what that version lacks: {newer}")
    files = dict(kept.files)
    extensions = [PurePosixPath(n).suffix.lstrip(".") for n in kept.files]
    files[SOLUTION_XML] = solution_xml(
        version=version,
        managed=managed,
        root_components=kept.root_components,
        package_version=(target_profile.package_version, target_profile.solution_package_version),
    )
    files[CUSTOMIZATIONS_XML] = serialise(customizations)
    files[CONTENT_TYPES_XML] = content_types_xml(extensions)
    return SolutionPackage(
        version=version, managed=managed, files=files, target=target_profile.target, left_out=kept.left_out
    )


def write_package(package: SolutionPackage, directory: Path) -> Path:
    """Write the zip into ``directory`` (created if missing); returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / package.file_name
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(package.zip_bytes())
    partial.replace(target)
    return target


def _entry_order(files: dict[str, bytes]) -> list[str]:
    extras = sorted(set(files) - _RESERVED)
    return [SOLUTION_XML, CUSTOMIZATIONS_XML, *extras, CONTENT_TYPES_XML]
