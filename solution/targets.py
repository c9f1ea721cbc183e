"""Which Dynamics version a solution zip is built for, and what is left out for it (X-01, issue 14).

"Solutions that use new capabilities can't be imported into an earlier version
organization" (Microsoft, *Export a solution for a specific version*;
MicrosoftDocs/powerapps-docs:powerapps-docs/developer/common-data-service/export-solution-specific-version.md).
Dynamics does the same when it exports for an older target: it removes or changes the
components that version lacks and lists them in ``filteredcomponents.xml``. This module does
that for our own build:

- ``online`` and ``9.0``: the package as the 9.0 customization schema describes it (online
  imports packages of older versions, so one format serves both);
- ``8.2`` (Dynamics 365 December 2016 update, on-premises): the package stamped 8.2, with the
  elements 8.2 does not know removed and the client scripts that need the 9.0 Client API
  (``Xrm.WebApi``, ``Xrm.Navigation``, ``executionContext.getFormContext()``) left out together
  with the form handlers and ribbon commands that call them. Scripts in :data:`WORKS_ON_8_X`
  detect the API they run on and are kept, with their form handlers and buttons (the SMS
  form's counter, the Call buttons and dialog), except the commands in :data:`NEEDS_CLIENT_API_9`.

:func:`newer_than_target` lists what a built ``customizations.xml`` still carries that its
target does not know; the builder refuses such a build.
"""

from __future__ import annotations

import enum
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from solution.components import ComponentType, RootComponent
from solution.manifest import PACKAGE_VERSION, SOLUTION_PACKAGE_VERSION

WEB_RESOURCE_FOLDER = "WebResources/"
#: Client web resources that work on 8.x as well (they fall back to Xrm.Page and the v8.2 Web API).
WORKS_ON_8_X = frozenset({"comms_/sms/form.js", "comms_commands.js", "comms_clicktocall.html"})
#: Functions of those scripts that still need the 9.0 Client API: their ribbon commands are left out on 8.x.
NEEDS_CLIENT_API_9 = frozenset({"CommSuite.Commands.convertCaller", "CommSuite.Commands.sendBulkSms"})
#: Web resource types whose bodies run in the browser against the Client API (HTML 1, script 3).
CLIENT_WEB_RESOURCE_TYPES = frozenset({"1", "3"})

#: Not in the 9.0 customization schema: written only by newer online exports (xsd/README.md).
NEWER_THAN_9_0_ELEMENTS = frozenset(
    {"AutoNumberFormat", "IsSearchable", "IsFilterable", "IsRetrievable", "IsLocalizable"}
)
NEWER_THAN_9_0_ATTRIBUTES = frozenset({"headerdensity"})
#: In the 9.0 schema but newer than 8.2 (docs/solution.md, "What differs per target", has the sources):
#: virtual entities (data providers and data sources), custom controls, the Unified Interface client
#: type of an app, and 9.0 table settings.
NEWER_THAN_8_2_ELEMENTS = NEWER_THAN_9_0_ELEMENTS | frozenset(
    {
        "EntityDataProviders",
        "EntityDataSources",
        "DataProviderId",
        "DataSourceId",
        "IsDataSourceSecret",
        "CustomControls",
        "ClientType",
        "HasRelatedNotes",
        "HasRelatedActivities",
        "IsDocumentRecommendationsEnabled",
        "IsEnabledForExternalChannels",
    }
)


class Target(enum.Enum):
    """``commsuite solution build --target``."""

    ONLINE = "online"
    V9_0 = "9.0"
    V8_2 = "8.2"


@dataclass(frozen=True)
class TargetProfile:
    """How one target's package is stamped and what it may contain."""

    target: Target
    #: ``ImportExportXml version`` and ``SolutionPackageVersion`` of both XML files.
    package_version: str
    solution_package_version: str
    #: The newest ``IntroducedVersion`` a component may carry.
    version: tuple[int, int]
    #: Appended to the zip's name, as Dynamics names targeted exports (``_target_CRM_8.2``).
    file_suffix: str
    #: The 9.0 Client API (``Xrm.WebApi``, ``Xrm.Navigation``, form context) our scripts use.
    client_api_9: bool
    removed_elements: frozenset[str]
    removed_attributes: frozenset[str]


PROFILES: Mapping[Target, TargetProfile] = {
    Target.ONLINE: TargetProfile(
        Target.ONLINE,
        PACKAGE_VERSION,
        SOLUTION_PACKAGE_VERSION,
        (9, 2),
        "",
        True,
        NEWER_THAN_9_0_ELEMENTS,
        NEWER_THAN_9_0_ATTRIBUTES,
    ),
    Target.V9_0: TargetProfile(
        Target.V9_0,
        PACKAGE_VERSION,
        SOLUTION_PACKAGE_VERSION,
        (9, 0),
        "_target_CRM_9.0",
        True,
        NEWER_THAN_9_0_ELEMENTS,
        NEWER_THAN_9_0_ATTRIBUTES,
    ),
    Target.V8_2: TargetProfile(
        Target.V8_2,
        "8.2.0.0",
        "8.2",
        (8, 2),
        "_target_CRM_8.2",
        False,
        NEWER_THAN_8_2_ELEMENTS,
        NEWER_THAN_9_0_ATTRIBUTES,
    ),
}


def profile(target: Target | str) -> TargetProfile:
    """The profile of ``target`` (a :class:`Target` or its name: ``online``, ``9.0``, ``8.2``)."""
    try:
        return PROFILES[Target(target)]
    except ValueError:
        names = ", ".join(t.value for t in Target)
        raise ValueError(f"unknown solution target {target!r}; one of {names}") from None


@dataclass(frozen=True)
class DownLevelled:
    """What is left for the zip once the target's missing features are taken out."""

    files: dict[str, bytes]
    root_components: list[RootComponent]
    left_out: tuple[str, ...]


def down_level(
    customizations: ET.Element,
    files: Mapping[str, bytes],
    root_components: Iterable[RootComponent],
    target: TargetProfile,
) -> DownLevelled:
    """Take out of ``customizations`` (in place), ``files`` and ``root_components`` what ``target`` lacks."""
    left_out: list[str] = []
    kept_files = dict(files)
    components = list(root_components)
    if not target.client_api_9:
        scripts = _remove_client_web_resources(customizations)
        left_out += [f"web resource {name}" for name in sorted(scripts)]
        for file_name in scripts.values():
            kept_files.pop(file_name, None)
        components = [c for c in components if not (c.type is ComponentType.WEB_RESOURCE and c.schema_name in scripts)]
        left_out += _remove_form_handlers(customizations, set(scripts))
        left_out += _remove_ribbon_commands(customizations, set(scripts))
    for parent in list(customizations.iter()):
        for child in list(parent):
            if child.tag in target.removed_elements:
                parent.remove(child)
        for name in target.removed_attributes & set(parent.attrib):
            del parent.attrib[name]
    return DownLevelled(kept_files, components, tuple(left_out))


def newer_than_target(customizations: ET.Element, target: TargetProfile) -> list[str]:
    """What ``customizations`` carries that ``target`` does not know (empty when it fits)."""
    found: set[str] = set()
    for element in customizations.iter():
        if element.tag in target.removed_elements:
            found.add(f"element {element.tag}")
        found.update(f"attribute {name}" for name in target.removed_attributes & set(element.attrib))
        introduced = element.get("IntroducedVersion") or (element.text if element.tag == "IntroducedVersion" else None)
        if introduced and _major_minor(introduced) > target.version:
            found.add(f"{element.tag} introduced in {introduced.strip()}")
    return sorted(found)


def _major_minor(version: str) -> tuple[int, int]:
    parts = version.strip().split(".")
    try:
        return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        raise ValueError(f"IntroducedVersion {version!r} is not a version") from None


def _remove_client_web_resources(customizations: ET.Element) -> dict[str, str]:
    """Remove HTML and script web resources; returns their names → zip file names."""
    removed: dict[str, str] = {}
    for holder in customizations.iter("WebResources"):
        for resource in list(holder):
            name = resource.findtext("Name") or ""
            if resource.findtext("WebResourceType") in CLIENT_WEB_RESOURCE_TYPES and name not in WORKS_ON_8_X:
                removed[name] = (resource.findtext("FileName") or "").lstrip("/")
                holder.remove(resource)
    return removed


def _remove_form_handlers(customizations: ET.Element, scripts: set[str]) -> list[str]:
    left_out: list[str] = []
    for form in customizations.iter("form"):
        for libraries in form.findall("formLibraries"):
            for library in libraries.findall("Library"):
                if library.get("name") in scripts:
                    libraries.remove(library)
        for handlers in form.iter("Handlers"):
            for handler in handlers.findall("Handler"):
                if handler.get("libraryName") in scripts:
                    handlers.remove(handler)
                    left_out.append(f"form handler {handler.get('functionName')}")
        _prune_empty(form, ("formLibraries", "events"))
    return left_out


def _prune_empty(form: ET.Element, tags: tuple[str, ...]) -> None:
    for events in form.findall("events"):
        for event in events.findall("event"):
            if not any(len(h) for h in event.findall("Handlers")):
                events.remove(event)
    for tag in tags:
        for holder in form.findall(tag):
            if not len(holder):
                form.remove(holder)


def _remove_ribbon_commands(customizations: ET.Element, scripts: set[str]) -> list[str]:
    libraries = {f"$webresource:{name}" for name in scripts}
    removed: set[str] = set()
    for definitions in customizations.iter("CommandDefinitions"):
        for command in definitions.findall("CommandDefinition"):
            functions = list(command.iter("JavaScriptFunction"))
            if any(f.get("Library") in libraries or f.get("FunctionName") in NEEDS_CLIENT_API_9 for f in functions):
                definitions.remove(command)
                removed.add(command.get("Id") or "")
    left_out: list[str] = []
    for actions in customizations.iter("CustomActions"):
        for action in actions.findall("CustomAction"):
            if any(value in removed for e in action.iter() for value in e.attrib.values()):
                actions.remove(action)
                left_out.append(f"ribbon button {action.get('Id')}")
    _remove_orphan_menus(customizations)
    return left_out


def _remove_orphan_menus(customizations: ET.Element) -> None:
    """Commands that run nothing (a flyout's menu) and that no button left uses any more."""
    used = {
        value for actions in customizations.iter("CustomActions") for e in actions.iter() for value in e.attrib.values()
    }
    for definitions in customizations.iter("CommandDefinitions"):
        for command in definitions.findall("CommandDefinition"):
            if not list(command.iter("JavaScriptFunction")) and command.get("Id") not in used:
                definitions.remove(command)
