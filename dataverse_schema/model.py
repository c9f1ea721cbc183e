"""The vocabulary the whole schema is written in: tables, columns, choices, keys.

Everything here is plain, frozen data. Generators (Web API metadata payloads,
solution ``customizations.xml``) and the local emulator read it; nothing here
does I/O. A table the suite owns is fully described; a standard Dynamics table
(``contact``, ``phonecall``, ...) is described only as far as the suite reads or
writes it, and the suite's own columns on it carry the publisher prefix.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field

PUBLISHER_PREFIX = "comms"
PUBLISHER_UNIQUE_NAME = "commsuite"
PUBLISHER_DISPLAY_NAME = "CommSuite"
#: Dataverse derives option values from the publisher's option-value prefix:
#: prefix 10371 gives 103,710,000 and up.
OPTION_VALUE_PREFIX = 10371
OPTION_VALUE_BASE = OPTION_VALUE_PREFIX * 10_000
SOLUTION_UNIQUE_NAME = "CommSuite"

ENGLISH = 1033
PERSIAN = 1065


class ColumnType(enum.Enum):
    """Column types, named as Dataverse's ``AttributeType`` values."""

    UNIQUEIDENTIFIER = "Uniqueidentifier"
    STRING = "String"
    MEMO = "Memo"
    INTEGER = "Integer"
    BIGINT = "BigInt"
    DECIMAL = "Decimal"
    DOUBLE = "Double"
    MONEY = "Money"
    BOOLEAN = "Boolean"
    DATETIME = "DateTime"
    PICKLIST = "Picklist"
    STATE = "State"
    STATUS = "Status"
    MULTI_PICKLIST = "MultiSelectPicklist"
    LOOKUP = "Lookup"
    CUSTOMER = "Customer"
    OWNER = "Owner"
    PARTYLIST = "PartyList"
    FILE = "File"


class RequiredLevel(enum.Enum):
    NONE = "None"
    RECOMMENDED = "Recommended"
    APPLICATION_REQUIRED = "ApplicationRequired"
    SYSTEM_REQUIRED = "SystemRequired"


class StringFormat(enum.Enum):
    TEXT = "Text"
    PHONE = "Phone"
    EMAIL = "Email"
    URL = "Url"
    TEXT_AREA = "TextArea"


class DateTimeFormat(enum.Enum):
    DATE_ONLY = "DateOnly"
    DATE_AND_TIME = "DateAndTime"


class Ownership(enum.Enum):
    USER = "UserOwned"
    ORGANIZATION = "OrganizationOwned"
    TEAM = "TeamOwned"
    #: Standard tables only (systemuser, team): owned by a business unit.
    BUSINESS = "BusinessOwned"
    #: Standard tables only (activityparty, listmember): no owner of their own.
    NONE = "None"


class Cascade(enum.Enum):
    CASCADE = "Cascade"
    NO_CASCADE = "NoCascade"
    REMOVE_LINK = "RemoveLink"
    RESTRICT = "Restrict"


@dataclass(frozen=True)
class Option:
    """One value of a choice column, with its English and (optional) Persian label."""

    value: int
    label: str
    label_fa: str | None = None


@dataclass(frozen=True)
class OptionSet:
    """The values of a choice column; ``name`` is set for a global choice."""

    options: tuple[Option, ...]
    name: str | None = None
    default: int | None = None

    @property
    def is_global(self) -> bool:
        return self.name is not None

    def value_of(self, label: str) -> int:
        for option in self.options:
            if option.label == label:
                return option.value
        raise KeyError(f"no option labelled {label!r}")

    def label_of(self, value: int) -> str:
        for option in self.options:
            if option.value == value:
                return option.label
        raise KeyError(f"no option with value {value}")


@dataclass(frozen=True)
class Column:
    """One column. Only the fields that matter for its ``type`` are set.

    ``logical_name`` is the lower-case name used in Web API bodies;
    ``schema_name`` is the cased name (also the navigation property of a
    custom lookup). ``targets`` lists the tables a lookup may point at.
    """

    logical_name: str
    schema_name: str
    type: ColumnType
    display_name: str
    description: str = ""
    required: RequiredLevel = RequiredLevel.NONE
    max_length: int | None = None
    string_format: StringFormat | None = None
    min_value: float | None = None
    max_value: float | None = None
    precision: int | None = None
    datetime_format: DateTimeFormat | None = None
    options: OptionSet | None = None
    default: bool | int | None = None
    targets: tuple[str, ...] = ()
    display_name_fa: str | None = None
    #: A file column's ``MaxSizeInKB`` (Dataverse's default is 32,768 KB).
    max_size_kb: int | None = None

    @property
    def is_custom(self) -> bool:
        """True for a column the suite adds (publisher prefix)."""
        return self.logical_name.startswith(PUBLISHER_PREFIX + "_")

    @property
    def is_lookup(self) -> bool:
        return self.type in (ColumnType.LOOKUP, ColumnType.CUSTOMER, ColumnType.OWNER)

    @property
    def value_property(self) -> str:
        """The name a lookup's id has in a Web API read: ``_<name>_value``."""
        return f"_{self.logical_name}_value" if self.is_lookup else self.logical_name


@dataclass(frozen=True)
class AlternateKey:
    """An alternate key: its columns address a record as ``set(col='v',...)``."""

    schema_name: str
    columns: tuple[str, ...]
    display_name: str

    @property
    def logical_name(self) -> str:
        return self.schema_name.lower()


@dataclass(frozen=True)
class Relationship:
    """A one-to-many relationship, created by a lookup column on ``referencing``."""

    schema_name: str
    referenced: str
    referencing: str
    lookup: str
    cascade_delete: Cascade = Cascade.REMOVE_LINK
    cascade_assign: Cascade = Cascade.NO_CASCADE
    navigation: str | None = None

    @property
    def referencing_navigation(self) -> str:
        """Single-valued navigation property used with ``@odata.bind`` (case-sensitive).

        The suite's relationships name it explicitly (``ReferencingEntityNavigationPropertyName``)
        after the lookup's *schema* name (``comms_SmsProviderId``), as Dataverse does by default
        and as the solution zip declares it; Microsoft's standard relationships name it after the
        lookup's logical name (``primarycontactid``), which is the fallback here.
        """
        return self.navigation or self.lookup


@dataclass(frozen=True)
class ManyToManyRelationship:
    """A many-to-many relationship: rows of an intersect table pair records of two tables.

    Each side reads the other through a collection-valued navigation property; Dataverse names
    both after the relationship's schema name unless ``Entity1NavigationPropertyName`` /
    ``Entity2NavigationPropertyName`` say otherwise. Records are paired with ``$ref``
    (associate / disassociate), never by writing the intersect table.
    """

    schema_name: str
    entity1: str
    entity2: str
    intersect_entity: str
    entity1_navigation: str | None = None
    entity2_navigation: str | None = None
    #: False for Microsoft's own relationships (``IsCustomRelationship``).
    is_custom: bool = True

    @property
    def navigation1(self) -> str:
        """The collection-valued navigation property on ``entity1`` (reading ``entity2`` records)."""
        return self.entity1_navigation or self.schema_name

    @property
    def navigation2(self) -> str:
        """The collection-valued navigation property on ``entity2`` (reading ``entity1`` records)."""
        return self.entity2_navigation or self.schema_name

    @property
    def is_self_referencing(self) -> bool:
        return self.entity1 == self.entity2


@dataclass(frozen=True)
class Table:
    """One Dataverse table.

    ``is_custom`` is True for a table the suite owns; False for a standard
    table (whose custom columns, if any, the suite adds).
    """

    logical_name: str
    schema_name: str
    entity_set_name: str
    display_name: str
    plural_display_name: str
    primary_id: str
    primary_name: str
    columns: tuple[Column, ...]
    description: str = ""
    is_custom: bool = True
    is_activity: bool = False
    ownership: Ownership = Ownership.USER
    has_notes: bool = False
    has_activities: bool = False
    keys: tuple[AlternateKey, ...] = ()
    relationships: tuple[Relationship, ...] = ()
    display_name_fa: str | None = None
    change_tracking: bool = True
    area: str = "standard"
    _by_name: dict[str, Column] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [c.logical_name for c in self.columns]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"{self.logical_name}: duplicate columns {sorted(duplicates)}")
        self._by_name.update({c.logical_name: c for c in self.columns})
        for key in self.keys:
            missing = [c for c in key.columns if c not in self._by_name]
            if missing:
                raise ValueError(f"{self.logical_name}: key {key.schema_name} names unknown columns {missing}")

    def column(self, logical_name: str) -> Column:
        try:
            return self._by_name[logical_name]
        except KeyError:
            raise KeyError(f"{self.logical_name} has no column {logical_name!r}") from None

    def has_column(self, logical_name: str) -> bool:
        return logical_name in self._by_name

    @property
    def custom_columns(self) -> tuple[Column, ...]:
        """The columns the suite adds: those with the publisher prefix.

        The suite's own tables also list the columns Dataverse creates with
        every table (owner, state, status, created on, and on activity tables
        the inherited ``subject``, ``regardingobjectid``, ``from`` / ``to``, ...)
        so readers see the whole table; those are never created by the suite.
        """
        return tuple(c for c in self.columns if c.is_custom)

    @property
    def primary_name_column(self) -> Column:
        return self.column(self.primary_name)

    def extended(self, extension: TableExtension) -> Table:
        """This table with an area's extra columns, keys and relationships added."""
        if extension.table != self.logical_name:
            raise ValueError(f"extension for {extension.table} applied to {self.logical_name}")
        return dataclasses.replace(
            self,
            columns=self.columns + extension.columns,
            keys=self.keys + extension.keys,
            relationships=self.relationships + extension.relationships,
        )

    @property
    def lookups(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.is_lookup)

    def navigation(self, lookup: str, target: str | None = None) -> str:
        """The single-valued navigation property that binds lookup ``lookup`` (to ``target``).

        The name the lookup's relationship declares when the table has one; otherwise
        Dataverse's default: the schema name of a custom lookup (``comms_QueueId``), the
        logical name of a standard one (``listid``), and for a multi-target lookup one
        property per target, ``<lookup>_<target>`` (``parentcustomerid_account``).
        """
        column = self.column(lookup)
        for relationship in self.relationships:
            if (
                relationship.lookup == lookup
                and relationship.navigation is not None
                and (target is None or relationship.referenced == target)
            ):
                return relationship.navigation
        if target is not None and (len(column.targets) > 1 or column.type is ColumnType.CUSTOMER):
            return f"{lookup}_{target}"
        return column.schema_name if column.is_custom else column.logical_name


@dataclass(frozen=True)
class TableExtension:
    """What an area adds to a table defined by another module.

    The suite's columns on the standard ``phonecall`` and ``fax`` activities are
    written next to the rest of their area and merged into the one standard
    ``Table`` by the registry, so every reader still sees a single table.
    """

    table: str
    columns: tuple[Column, ...] = ()
    keys: tuple[AlternateKey, ...] = ()
    relationships: tuple[Relationship, ...] = ()


@dataclass(frozen=True)
class Area:
    """One module of the schema (standard, telephony, sms, fax, later bss)."""

    name: str
    tables: tuple[Table, ...] = ()
    extensions: tuple[TableExtension, ...] = ()
    option_sets: tuple[OptionSet, ...] = ()
    many_to_many: tuple[ManyToManyRelationship, ...] = ()


def option_value(offset: int) -> int:
    """The option value ``offset`` places above the publisher's base."""
    return OPTION_VALUE_BASE + offset


def choices(*labels: str | tuple[str, str], name: str | None = None, default: int | None = None) -> OptionSet:
    """Build an option set from labels, numbering from the publisher's base.

    A label may be ``"English"`` or ``("English", "فارسی")``. ``default`` is an
    index into ``labels``.
    """
    options = []
    for offset, label in enumerate(labels):
        english, persian = (label, None) if isinstance(label, str) else label
        options.append(Option(option_value(offset), english, persian))
    default_value = options[default].value if default is not None else None
    return OptionSet(tuple(options), name=name, default=default_value)
