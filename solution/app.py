"""The CommSuite model-driven app: an app module with a site map listing the suite's tables (issue 10).

After an import, CRM users and administrators open *CommSuite* from the app list and find
every table of the suite in its site map, with the forms and views the solution ships, so
nobody has to build an app or forms to configure the suite:

- **Telephony**: phone calls, click-to-call requests, call recordings;
- **SMS**: SMS, bulk sends, templates, send attempts;
- **Fax**: faxes;
- **Settings**: the organisation-owned tables an administrator configures (telephony systems,
  phone lines, extensions, SMS provider accounts, numbers, keyword rules, opt-outs, fax servers
  and numbers), one group per area.

Shape from a real export, H12345555/Contoso-Power-Apps-Project:
``ContosoParkingChallenge_1_0_0_3/customizations.xml`` (``AppModuleSiteMaps`` / ``AppModules``,
``AppModuleComponent type="1"`` per table and ``type="62"`` for the site map, the default app
icon web resource, ``FormFactor`` 1, ``ClientType`` 4, roles in ``AppModuleRoleMaps``) and its
``solution.xml`` (root components ``type="62"`` and ``type="80"`` by ``schemaName``). Only the
elements ``CustomizationsSolution.xsd`` 9.0 knows are written; newer exports add ``statecode``,
``NavigationType`` and ``appsettings``, which an import fills with defaults.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from dataverse_schema.model import ENGLISH, PERSIAN, Ownership, Table
from solution.components import ComponentType, Contribution, RootComponent, SolutionSchema

APP_UNIQUE_NAME = "comms_CommSuite"
APP_NAME = "CommSuite"
APP_DESCRIPTION = "Calls, SMS and faxes in Dynamics 365, and the settings of the CommSuite integration."
#: The system's default app icon web resource, which real exports reference.
DEFAULT_APP_ICON = "953b9fac-1e5e-e611-80d6-00155ded156f"
INTRODUCED_VERSION = "1.0.0.0"
#: Standard activities the suite logs, shown in their area.
AREA_ACTIVITIES = {"telephony": ("phonecall",), "sms": (), "fax": ("fax",)}
AREAS = (("telephony", "Telephony", "تلفن"), ("sms", "SMS", "پیامک"), ("fax", "Fax", "فکس"))
SETTINGS = ("settings", "Settings", "تنظیمات")


def is_setting(table: Table) -> bool:
    """Organisation-owned suite tables are configuration, found under Settings."""
    return table.ownership is Ownership.ORGANIZATION


def _titles(parent: ET.Element, english: str, persian: str) -> None:
    titles = ET.SubElement(parent, "Titles")
    ET.SubElement(titles, "Title", {"LCID": str(ENGLISH), "Title": english})
    ET.SubElement(titles, "Title", {"LCID": str(PERSIAN), "Title": persian})


def _group(area: ET.Element, key: str, english: str, persian: str, tables: Sequence[str]) -> None:
    group = ET.SubElement(area, "Group", {"Id": f"comms_group_{key}", "IsProfile": "false"})
    _titles(group, english, persian)
    for table in tables:
        ET.SubElement(
            group,
            "SubArea",
            {"Id": f"comms_subarea_{key}_{table}", "Entity": table, "AvailableOffline": "true", "PassParams": "false"},
        )


def site_map(schema: SolutionSchema) -> ET.Element:
    """The ``SiteMap``: one area per part of the suite, then Settings."""
    root = ET.Element("SiteMap", {"IntroducedVersion": "7.0.0.0"})
    for key, english, persian in AREAS:
        own = [t.logical_name for t in schema.custom_tables if t.area == key and not is_setting(t)]
        area = ET.SubElement(root, "Area", {"Id": f"comms_area_{key}", "ShowGroups": "true"})
        _titles(area, english, persian)
        _group(area, key, english, persian, [*AREA_ACTIVITIES[key], *own])
    key, english, persian = SETTINGS
    area = ET.SubElement(root, "Area", {"Id": f"comms_area_{key}", "ShowGroups": "true"})
    _titles(area, english, persian)
    for part, part_english, part_persian in AREAS:
        settings = [t.logical_name for t in schema.custom_tables if t.area == part and is_setting(t)]
        if settings:
            _group(area, f"{key}_{part}", part_english, part_persian, settings)
    return root


def app_tables(schema: SolutionSchema) -> list[str]:
    """Every table the site map lists, in site-map order."""
    return [s.get("Entity") for s in site_map(schema).iter("SubArea")]


def _localised(parent: ET.Element, container: str, item: str, text: str) -> None:
    ET.SubElement(ET.SubElement(parent, container), item, {"description": text, "languagecode": str(ENGLISH)})


class CommSuiteApp:
    """Component provider: the app module, its site map, and their root components."""

    name = "app"

    def __init__(self, role_ids: Sequence[str] | None = None) -> None:
        from solution.roles import ROLES

        self.role_ids = tuple(role.id for role in ROLES) if role_ids is None else tuple(role_ids)

    def contribute(self, schema: SolutionSchema) -> Contribution:
        holder = ET.Element("AppModuleSiteMap")
        ET.SubElement(holder, "SiteMapUniqueName").text = APP_UNIQUE_NAME
        holder.append(site_map(schema))
        _localised(holder, "LocalizedNames", "LocalizedName", APP_NAME)
        return Contribution(
            root_components=[
                RootComponent(ComponentType.SITE_MAP, schema_name=APP_UNIQUE_NAME),
                RootComponent(ComponentType.APP_MODULE, schema_name=APP_UNIQUE_NAME),
            ],
            sections={"AppModuleSiteMaps": [holder], "AppModules": [self.app_module(schema)]},
        )

    def app_module(self, schema: SolutionSchema) -> ET.Element:
        app = ET.Element("AppModule")
        for tag, text in (
            ("UniqueName", APP_UNIQUE_NAME),
            ("IntroducedVersion", INTRODUCED_VERSION),
            ("WebResourceId", DEFAULT_APP_ICON),
            ("FormFactor", "1"),
            ("ClientType", "4"),
        ):
            ET.SubElement(app, tag).text = text
        components = ET.SubElement(app, "AppModuleComponents")
        for table in dict.fromkeys(app_tables(schema)):
            ET.SubElement(
                components, "AppModuleComponent", {"type": str(int(ComponentType.ENTITY)), "schemaName": table}
            )
        ET.SubElement(
            components, "AppModuleComponent", {"type": str(int(ComponentType.SITE_MAP)), "schemaName": APP_UNIQUE_NAME}
        )
        roles = ET.SubElement(app, "AppModuleRoleMaps")
        for role_id in self.role_ids:
            ET.SubElement(roles, "Role", {"id": "{" + role_id + "}"})
        _localised(app, "LocalizedNames", "LocalizedName", APP_NAME)
        _localised(app, "Descriptions", "Description", APP_DESCRIPTION)
        return app
