"""Short builders for columns and tables, so the area modules read like a data dictionary.

Every builder takes the column's cased *schema name* (``comms_TelephonySystemId``,
``Telephone1``); the logical name is its lower-case form, as Dataverse derives it.
``custom_table`` adds the columns Dataverse creates with every table and the
one-to-many relationship behind each of the suite's lookup columns.
"""

from __future__ import annotations

from dataverse_schema.model import (
    PUBLISHER_PREFIX,
    AlternateKey,
    Cascade,
    Column,
    ColumnType,
    DateTimeFormat,
    Option,
    OptionSet,
    Ownership,
    Relationship,
    RequiredLevel,
    StringFormat,
    Table,
)

NONE = RequiredLevel.NONE
RECOMMENDED = RequiredLevel.RECOMMENDED
REQUIRED = RequiredLevel.APPLICATION_REQUIRED
SYSTEM = RequiredLevel.SYSTEM_REQUIRED

INT_MAX = 2_147_483_647
DECIMAL_MAX = 100_000_000_000

YES_NO = OptionSet((Option(0, "No", "خیر"), Option(1, "Yes", "بله")))

ACTIVE_STATES = OptionSet((Option(0, "Active", "فعال"), Option(1, "Inactive", "غیرفعال")), default=0)
ACTIVE_STATUSES = OptionSet((Option(1, "Active", "فعال"), Option(2, "Inactive", "غیرفعال")), default=1)
#: Every activity's states and default statuses, as ``activitypointer`` has them (Microsoft Learn,
#: "ActivityPointer (Activity) Entity OptionSet Attribute Metadata", gg328148): Open, Completed,
#: Canceled, Scheduled.
ACTIVITY_STATES = OptionSet(
    (
        Option(0, "Open", "باز"),
        Option(1, "Completed", "تکمیل شده"),
        Option(2, "Canceled", "لغو شده"),
        Option(3, "Scheduled", "زمان‌بندی شده"),
    ),
    default=0,
)
ACTIVITY_STATUSES = OptionSet(
    (
        Option(1, "Open", "باز"),
        Option(2, "Completed", "تکمیل شده"),
        Option(3, "Canceled", "لغو شده"),
        Option(4, "Scheduled", "زمان‌بندی شده"),
    ),
    default=1,
)
PRIORITIES = OptionSet((Option(0, "Low", "کم"), Option(1, "Normal", "عادی"), Option(2, "High", "زیاد")), default=1)


def _column(schema_name: str, kind: ColumnType, display: str, description: str, **fields) -> Column:
    return Column(
        logical_name=schema_name.lower(),
        schema_name=schema_name,
        type=kind,
        display_name=display,
        description=description,
        **fields,
    )


def text(
    schema_name: str,
    display: str,
    description: str = "",
    *,
    length: int = 100,
    fmt: StringFormat = StringFormat.TEXT,
    required: RequiredLevel = NONE,
    fa: str | None = None,
) -> Column:
    return _column(
        schema_name,
        ColumnType.STRING,
        display,
        description,
        max_length=length,
        string_format=fmt,
        required=required,
        display_name_fa=fa,
    )


def phone(schema_name: str, display: str, description: str = "", *, length: int = 50, **kw) -> Column:
    return text(schema_name, display, description, length=length, fmt=StringFormat.PHONE, **kw)


def email(schema_name: str, display: str, description: str = "", *, length: int = 100, **kw) -> Column:
    return text(schema_name, display, description, length=length, fmt=StringFormat.EMAIL, **kw)


def url(schema_name: str, display: str, description: str = "", *, length: int = 500, **kw) -> Column:
    return text(schema_name, display, description, length=length, fmt=StringFormat.URL, **kw)


def memo(
    schema_name: str,
    display: str,
    description: str = "",
    *,
    length: int = 2000,
    required: RequiredLevel = NONE,
    fa: str | None = None,
) -> Column:
    return _column(
        schema_name,
        ColumnType.MEMO,
        display,
        description,
        max_length=length,
        string_format=StringFormat.TEXT_AREA,
        required=required,
        display_name_fa=fa,
    )


def integer(
    schema_name: str,
    display: str,
    description: str = "",
    *,
    minimum: int = 0,
    maximum: int = INT_MAX,
    required: RequiredLevel = NONE,
    fa: str | None = None,
) -> Column:
    return _column(
        schema_name,
        ColumnType.INTEGER,
        display,
        description,
        min_value=minimum,
        max_value=maximum,
        required=required,
        display_name_fa=fa,
    )


def bigint(schema_name: str, display: str, description: str = "", *, fa: str | None = None) -> Column:
    return _column(schema_name, ColumnType.BIGINT, display, description, display_name_fa=fa)


def decimal(
    schema_name: str,
    display: str,
    description: str = "",
    *,
    precision: int = 2,
    minimum: float = -DECIMAL_MAX,
    maximum: float = DECIMAL_MAX,
    fa: str | None = None,
) -> Column:
    return _column(
        schema_name,
        ColumnType.DECIMAL,
        display,
        description,
        precision=precision,
        min_value=minimum,
        max_value=maximum,
        display_name_fa=fa,
    )


def boolean(
    schema_name: str,
    display: str,
    description: str = "",
    *,
    default: bool = False,
    labels: OptionSet = YES_NO,
    required: RequiredLevel = NONE,
    fa: str | None = None,
) -> Column:
    """A two-option column; ``labels`` holds the False (0) and True (1) labels."""
    return _column(
        schema_name,
        ColumnType.BOOLEAN,
        display,
        description,
        options=labels,
        default=default,
        required=required,
        display_name_fa=fa,
    )


def when(
    schema_name: str,
    display: str,
    description: str = "",
    *,
    date_only: bool = False,
    required: RequiredLevel = NONE,
    fa: str | None = None,
) -> Column:
    fmt = DateTimeFormat.DATE_ONLY if date_only else DateTimeFormat.DATE_AND_TIME
    return _column(
        schema_name,
        ColumnType.DATETIME,
        display,
        description,
        datetime_format=fmt,
        required=required,
        display_name_fa=fa,
    )


def choice(
    schema_name: str,
    display: str,
    options: OptionSet,
    description: str = "",
    *,
    required: RequiredLevel = NONE,
    fa: str | None = None,
) -> Column:
    return _column(
        schema_name,
        ColumnType.PICKLIST,
        display,
        description,
        options=options,
        default=options.default,
        required=required,
        display_name_fa=fa,
    )


def lookup(
    schema_name: str,
    display: str,
    target: str,
    description: str = "",
    *,
    required: RequiredLevel = NONE,
    fa: str | None = None,
) -> Column:
    return _column(
        schema_name,
        ColumnType.LOOKUP,
        display,
        description,
        targets=(target,),
        required=required,
        display_name_fa=fa,
    )


def reference(
    schema_name: str,
    display: str,
    kind: ColumnType,
    targets: tuple[str, ...],
    description: str = "",
    *,
    required: RequiredLevel = NONE,
) -> Column:
    """A standard multi-target reference: Customer, Owner, PartyList or polymorphic Lookup."""
    return _column(schema_name, kind, display, description, targets=targets, required=required)


def unique_id(schema_name: str, display: str, description: str = "") -> Column:
    return _column(schema_name, ColumnType.UNIQUEIDENTIFIER, display, description, required=SYSTEM)


def state(options: OptionSet = ACTIVE_STATES) -> Column:
    return _column(
        "StateCode",
        ColumnType.STATE,
        "Status",
        "Whether the row is active.",
        options=options,
        default=options.default,
        required=SYSTEM,
    )


def status(options: OptionSet = ACTIVE_STATUSES) -> Column:
    return _column(
        "StatusCode",
        ColumnType.STATUS,
        "Status Reason",
        "Reason for the row's status.",
        options=options,
        default=options.default,
    )


def owner() -> Column:
    return reference(
        "OwnerId", "Owner", ColumnType.OWNER, ("systemuser", "team"), "User or team that owns the row.", required=SYSTEM
    )


def audit_columns() -> tuple[Column, ...]:
    return (
        when("CreatedOn", "Created On", "When the row was created."),
        when("ModifiedOn", "Modified On", "When the row was last changed."),
    )


def entity_set_name(logical_name: str) -> str:
    """The collection name Dataverse derives from a new table's logical name."""
    if logical_name.endswith(("s", "x", "z", "ch", "sh")):
        return logical_name + "es"
    if logical_name.endswith("y") and logical_name[-2:-1] not in tuple("aeiou"):
        return logical_name[:-1] + "ies"
    return logical_name + "s"


def short(logical_name: str) -> str:
    """``comms_telephonysystem`` → ``telephonysystem``; standard names unchanged."""
    prefix = PUBLISHER_PREFIX + "_"
    return logical_name[len(prefix) :] if logical_name.startswith(prefix) else logical_name


def relationship_for(referencing: str, column: Column, cascade_delete: Cascade = Cascade.REMOVE_LINK) -> Relationship:
    """The one-to-many relationship that creates the suite's lookup ``column`` on ``referencing``."""
    (target,) = column.targets
    name = f"{PUBLISHER_PREFIX}_{short(target)}_{short(referencing)}"
    if column.logical_name != f"{PUBLISHER_PREFIX}_{short(target)}id":
        name += "_" + short(column.logical_name)
    return Relationship(
        schema_name=name,
        referenced=target,
        referencing=referencing,
        lookup=column.logical_name,
        cascade_delete=cascade_delete,
        navigation=column.schema_name,
    )


def relationships_of(
    referencing: str, columns: tuple[Column, ...], cascades: dict[str, Cascade] | None = None
) -> tuple[Relationship, ...]:
    """One relationship per prefixed single-target lookup in ``columns``."""
    cascades = cascades or {}
    return tuple(
        relationship_for(referencing, c, cascades.get(c.logical_name, Cascade.REMOVE_LINK))
        for c in columns
        if c.type is ColumnType.LOOKUP and c.is_custom
    )


def key(schema_name: str, display: str, *columns: str) -> AlternateKey:
    return AlternateKey(schema_name=schema_name, columns=columns, display_name=display)


def custom_table(
    schema_name: str,
    display: str,
    plural: str,
    description: str,
    *,
    primary_name: Column,
    columns: tuple[Column, ...],
    fa: str | None = None,
    area: str,
    ownership: Ownership = Ownership.USER,
    keys: tuple[AlternateKey, ...] = (),
    cascades: dict[str, Cascade] | None = None,
    has_notes: bool = False,
    has_activities: bool = False,
) -> Table:
    """One of the suite's own (non-activity) tables, with Dataverse's system columns added."""
    logical = schema_name.lower()
    primary_id = unique_id(schema_name + "Id", display, f"Unique identifier of the {display.lower()}.")
    ownership_columns = (owner(),) if ownership is Ownership.USER else ()
    all_columns = (primary_id, primary_name) + columns + ownership_columns + (state(), status()) + audit_columns()
    return Table(
        logical_name=logical,
        schema_name=schema_name,
        entity_set_name=entity_set_name(logical),
        display_name=display,
        plural_display_name=plural,
        primary_id=primary_id.logical_name,
        primary_name=primary_name.logical_name,
        columns=all_columns,
        description=description,
        is_custom=True,
        ownership=ownership,
        has_notes=has_notes,
        has_activities=has_activities,
        keys=keys,
        relationships=relationships_of(logical, columns, cascades),
        display_name_fa=fa,
        area=area,
    )


def activity_columns(
    *,
    subject_length: int = 200,
    regarding: tuple[str, ...],
    parties: tuple[str, ...],
    states: OptionSet = ACTIVITY_STATES,
    statuses: OptionSet = ACTIVITY_STATUSES,
) -> tuple[Column, ...]:
    """The columns every activity table has (inherited from ``activitypointer``)."""
    return (
        unique_id("ActivityId", "Activity", "Unique identifier of the activity."),
        text(
            "Subject",
            "Subject",
            "Short description of the activity.",
            length=subject_length,
            required=REQUIRED,
            fa="موضوع",
        ),
        memo("Description", "Description", "Free-text notes on the activity.", fa="توضیحات"),
        reference(
            "RegardingObjectId", "Regarding", ColumnType.LOOKUP, regarding, "The record the activity relates to."
        ),
        reference("from", "From", ColumnType.PARTYLIST, parties, "Who sent or made the activity."),
        reference("to", "To", ColumnType.PARTYLIST, parties, "Who received the activity."),
        owner(),
        state(states),
        status(statuses),
        when("ScheduledStart", "Start Date", "When the activity is planned to start."),
        when("ScheduledEnd", "Due", "When the activity is due."),
        when("ActualStart", "Actual Start", "When the activity really started."),
        when("ActualEnd", "Actual End", "When the activity really ended."),
        integer("ActualDurationMinutes", "Duration", "Actual duration in minutes."),
        choice("PriorityCode", "Priority", PRIORITIES, "Priority of the activity."),
    ) + audit_columns()


def activity_table(
    schema_name: str,
    display: str,
    plural: str,
    description: str,
    *,
    columns: tuple[Column, ...],
    regarding: tuple[str, ...],
    parties: tuple[str, ...],
    fa: str | None = None,
    area: str,
    keys: tuple[AlternateKey, ...] = (),
    cascades: dict[str, Cascade] | None = None,
) -> Table:
    """One of the suite's own activity tables (reference §4.5): primary id ``activityid``,
    primary name ``subject``, the activity columns and parties inherited from ``activitypointer``."""
    logical = schema_name.lower()
    return Table(
        logical_name=logical,
        schema_name=schema_name,
        entity_set_name=entity_set_name(logical),
        display_name=display,
        plural_display_name=plural,
        primary_id="activityid",
        primary_name="subject",
        columns=activity_columns(regarding=regarding, parties=parties) + columns,
        description=description,
        is_custom=True,
        is_activity=True,
        ownership=Ownership.USER,
        has_notes=True,
        has_activities=False,
        keys=keys,
        relationships=relationships_of(logical, columns, cascades),
        display_name_fa=fa,
        area=area,
    )
