"""Who a bulk send texts: a marketing list's members, a campaign's lists, a dynamic list's query (SMS-08).

Static lists are read from their List Member rows; dynamic lists run their
FetchXML translated to a ``$filter`` (:mod:`functions.sms_bulk.fetchxml`); a
campaign contributes every marketing list attached to it as a campaign item.
Only ids are read for the whole audience (5,000 per request); the columns a
message needs are fetched per step for the members about to be texted, so a
resumed run never re-reads the part already done.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from connectors.dataverse import DataverseClient, odata
from domain.sms.bulk import Member
from functions.sms_bulk import rows
from functions.sms_bulk.fetchxml import translate

#: Ids per ``in`` filter: keeps the request line well under the Web API's URL limit.
FETCH_CHUNK = 100
MEMBER_TABLES = tuple(rows.MEMBER_TYPES.values())


class TargetError(ValueError):
    """The bulk's audience cannot be resolved (no list, an untranslatable query); plain words for the record."""


def member_keys(client: DataverseClient, list_id: str | None, campaign_id: str | None) -> list[tuple[str, str]]:
    """``(table, record id)`` of every member of the list or the campaign's lists, each once."""
    list_ids = [list_id] if list_id else []
    if campaign_id:
        list_ids += [
            str(item["_entityid_value"]) for item in client.query(
                rows.CAMPAIGN_ITEM_SET, select=["_entityid_value"],
                filter=odata.and_(odata.eq("_campaignid_value", uuid.UUID(campaign_id)),
                                  odata.eq("entitytype", rows.MARKETING_LIST_TYPE_CODE)))
            if item.get("_entityid_value")
        ]
    if not list_ids:
        raise TargetError("the bulk send names no marketing list or campaign with lists")
    keys: set[tuple[str, str]] = set()
    for one in dict.fromkeys(i.lower() for i in list_ids):
        keys.update(_list_members(client, one))
    return sorted(keys)


def _list_members(client: DataverseClient, list_id: str) -> Iterable[tuple[str, str]]:
    marketing_list = client.retrieve(rows.LIST_SET, list_id, select=["createdfromcode", "type", "query"])
    table = rows.MEMBER_TYPES.get(marketing_list.get("createdfromcode"))
    if table is None:
        raise TargetError("the marketing list's member type is not account, contact or lead")
    if marketing_list.get("type"):
        query = marketing_list.get("query") or ""
        if not query.strip():
            raise TargetError("the dynamic marketing list has no query")
        translated = translate(query, {t: rows.TABLES[t] for t in MEMBER_TABLES})
        id_column = rows.primary_id(translated.table)
        for record in client.query(rows.entity_set(translated.table), select=[id_column], filter=translated.filter):
            yield translated.table, str(record[id_column]).lower()
        return
    for member in client.query(rows.LIST_MEMBER_SET, select=["_entityid_value"],
                               filter=odata.eq("_listid_value", uuid.UUID(list_id))):
        if member.get("_entityid_value"):
            yield table, str(member["_entityid_value"]).lower()


def fetch_members(client: DataverseClient, keys: Sequence[tuple[str, str]], columns: Iterable[str]) -> list[Member]:
    """The records behind ``keys`` with ``columns``; records deleted since are left out (nobody to text)."""
    wanted = sorted(set(columns))
    by_table: dict[str, list[str]] = {}
    for table, record_id in keys:
        by_table.setdefault(table, []).append(record_id)
    found: dict[tuple[str, str], Member] = {}
    for table, ids in by_table.items():
        id_column = rows.primary_id(table)
        valid = [c for c in wanted if rows.TABLES[table].has_column(c) and c != id_column]
        for start in range(0, len(ids), FETCH_CHUNK):
            chunk = [uuid.UUID(i) for i in ids[start : start + FETCH_CHUNK]]
            for record in client.query(rows.entity_set(table), select=[id_column, *valid],
                                       filter=odata.in_(id_column, chunk)):
                record_id = str(record[id_column]).lower()
                found[(table, record_id)] = Member(table, record_id, record)
    return [found[k] for k in keys if k in found]
