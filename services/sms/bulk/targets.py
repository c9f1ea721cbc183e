"""Who a bulk send texts: a marketing list's members, a campaign's lists, a saved view's rows, a FetchXML query
(SMS-08).

A bulk names exactly one audience: a marketing list and/or a campaign, or a
saved view (a system view ``savedquery`` or a personal view ``userquery``, by
id), or its own FetchXML; none, or more than one, is an error in plain words
on the record. Static lists are read from their List Member rows; dynamic
lists, saved views and FetchXML run their FetchXML as Dataverse runs it, paged
by paging cookie, after :mod:`services.sms.bulk.fetchxml` has refused hostile or
unusable queries; a query Dataverse refuses pauses the bulk with Dataverse's
reason. A campaign contributes every marketing list attached to it as a campaign item.
Only ids are read for the whole audience (5,000 per request); the columns a
message needs are fetched per step for the members about to be texted, so a
resumed run never re-reads the part already done.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence

from connectors.dataverse import DataverseClient, DataverseError, NotFoundError, odata
from dataverse_schema.names import CampaignItem, List, ListMember, SavedQuery
from domain.sms.bulk import Member
from services.sms import tables
from services.sms.bulk.fetchxml import FetchXmlError, audience_query
from services.sms.bulk.reads import read_by_ids
from services.sms.bulk.store import BulkRecord

#: Rows per FetchXML page when reading an audience's ids (Dataverse's largest page).
AUDIENCE_PAGE = 5000
MEMBER_TABLES = tuple(tables.MEMBER_TYPES.values())


class TargetError(ValueError):
    """The bulk's audience cannot be resolved (no list, an untranslatable query); plain words for the record."""


def audience_keys(client: DataverseClient, bulk: BulkRecord) -> list[tuple[str, str]]:
    """``(table, record id)`` of everyone the bulk's one audience selects, each once; :class:`TargetError` says
    what is wrong with the audience."""
    chosen = [
        name
        for name, is_set in (
            ("a marketing list or campaign", bool(bulk.list_id or bulk.campaign_id)),
            ("a saved view", bool(bulk.saved_view_id or bulk.saved_view_set)),
            ("a FetchXML query", bulk.fetchxml is not None),
        )
        if is_set
    ]
    if not chosen:
        raise TargetError(
            "the bulk send names no audience: choose a marketing list, a campaign or a saved view, "
            "or enter a FetchXML query"
        )
    if len(chosen) > 1:
        raise TargetError(f"the bulk send names {' and '.join(chosen)}; keep one audience and clear the others")
    if bulk.fetchxml is not None:
        return sorted(set(_query_members(client, bulk.fetchxml, "the bulk's FetchXML query")))
    if bulk.saved_view_id or bulk.saved_view_set:
        return sorted(set(_view_members(client, bulk.saved_view_id, bulk.saved_view_set)))
    return member_keys(client, bulk.list_id, bulk.campaign_id)


def member_keys(client: DataverseClient, list_id: str | None, campaign_id: str | None) -> list[tuple[str, str]]:
    """``(table, record id)`` of every member of the list or the campaign's lists, each once."""
    list_ids = [list_id] if list_id else []
    if campaign_id:
        list_ids += [
            str(item[CampaignItem.ENTITYID_VALUE])
            for item in client.query(
                CampaignItem.SET,
                select=[CampaignItem.ENTITYID_VALUE],
                filter=odata.and_(
                    odata.eq(CampaignItem.CAMPAIGNID_VALUE, uuid.UUID(campaign_id)),
                    odata.eq(CampaignItem.ENTITYTYPE, tables.MARKETING_LIST_TYPE_CODE),
                ),
            )
            if item.get(CampaignItem.ENTITYID_VALUE)
        ]
    if not list_ids:
        raise TargetError("the bulk send names no marketing list or campaign with lists")
    keys: set[tuple[str, str]] = set()
    for one in dict.fromkeys(i.lower() for i in list_ids):
        keys.update(_list_members(client, one))
    return sorted(keys)


def _list_members(client: DataverseClient, list_id: str) -> Iterable[tuple[str, str]]:
    marketing_list = client.retrieve(List.SET, list_id, select=[List.CREATEDFROMCODE, List.TYPE, List.QUERY])
    table = tables.MEMBER_TYPES.get(marketing_list.get(List.CREATEDFROMCODE))
    if table is None:
        raise TargetError("the marketing list's member type is not account, contact or lead")
    if marketing_list.get(List.TYPE):
        query = marketing_list.get(List.QUERY) or ""
        if not query.strip():
            raise TargetError("the dynamic marketing list has no query")
        yield from _query_members(client, query, "the dynamic marketing list")
        return
    for member in client.query(
        ListMember.SET, select=[ListMember.ENTITYID_VALUE], filter=odata.eq(ListMember.LISTID_VALUE, uuid.UUID(list_id))
    ):
        if member.get(ListMember.ENTITYID_VALUE):
            yield table, str(member[ListMember.ENTITYID_VALUE]).lower()


def _view_members(client: DataverseClient, view_id: str | None, view_set: str | None) -> Iterable[tuple[str, str]]:
    if not view_id:
        raise TargetError("the bulk send has a saved view kind but no saved view id")
    if view_set is None:
        raise TargetError("the bulk send has a saved view id: choose whether it is a system or a personal view")
    try:
        guid = uuid.UUID(view_id)
    except ValueError:
        raise TargetError(
            f"the saved view id {view_id[:60]!r} is not a GUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301"
        ) from None
    try:
        view = client.retrieve(view_set, str(guid), select=tables.VIEW_COLUMNS)
    except NotFoundError:
        raise TargetError(f"the saved view {guid} does not exist, or the sender may not read it") from None
    # savedquery and userquery name these columns alike
    query, name = view.get(SavedQuery.FETCHXML) or "", view.get(SavedQuery.NAME)
    if not query.strip():
        raise TargetError(f"the saved view {name!r} has no query")
    yield from _query_members(client, query, f"the saved view {name!r}")


def _query_members(
    client: DataverseClient, fetchxml: str, source: str, page_size: int | None = None
) -> Iterable[tuple[str, str]]:
    try:
        query = audience_query(fetchxml, {t: tables.primary_id(t) for t in MEMBER_TABLES})
    except FetchXmlError as exc:
        raise TargetError(f"{source} cannot be used: {exc}") from exc
    id_column = tables.primary_id(query.table)
    try:
        for record in client.fetch_xml(
            tables.entity_set(query.table), query.fetchxml, page_size=page_size or AUDIENCE_PAGE
        ):
            yield query.table, str(record[id_column]).lower()
    except DataverseError as exc:
        if exc.status not in (400, 501):
            raise
        raise TargetError(f"{source} cannot be used: Dataverse refused its query ({exc.message})") from exc


def fetch_members(
    client: DataverseClient, keys: Sequence[tuple[str, str]], columns: Mapping[str, Collection[str]]
) -> list[Member]:
    """The records behind ``keys`` with ``columns[table]`` (names as ``$select`` takes them, already checked);
    records deleted since are left out (nobody to text)."""
    by_table: dict[str, list[str]] = {}
    for table, record_id in keys:
        by_table.setdefault(table, []).append(record_id)
    found: dict[tuple[str, str], Member] = {}
    for table, ids in by_table.items():
        records = read_by_ids(client, tables.entity_set(table), tables.primary_id(table), ids, columns.get(table, ()))
        for record_id, record in records.items():
            found[(table, record_id)] = Member(table, record_id, record)
    return [found[k] for k in keys if k in found]


def phone_columns(table: str, columns: Iterable[str]) -> frozenset[str]:
    """The bulk's phone columns that ``table`` has (an account has no ``mobilephone``)."""
    return frozenset(c for c in columns if tables.TABLES[table].has_column(c))
