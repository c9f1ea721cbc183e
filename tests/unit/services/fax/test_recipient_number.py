"""A fax with no Fax Number of its own goes to its To recipient's Fax column, never against Do not allow Faxes."""

from __future__ import annotations

import pytest

from dataverse_schema import navigation
from dataverse_schema.names import Account, ActivityParty, Contact, Fax, Lead
from dataverse_schema.telephony import PARTY_TO_RECIPIENT
from services.fax import rows
from services.fax.directory import FaxDirectory
from services.fax.recipients import recipient_number
from services.fax.sending import FaxSender
from tests.unit.services.fax.helpers import NOW, FakeFaxServer, new_fax, read_fax, seed_server, sink_of

pytestmark = pytest.mark.timeout(60)

TABLES = {
    Contact.TABLE: (Contact, Contact.FULLNAME),
    Account.TABLE: (Account, Account.NAME),
    Lead.TABLE: (Lead, Lead.FULLNAME),
}


def _person(client, table: str, name: str, **columns) -> str:
    names, name_column = TABLES[table]
    if table == Contact.TABLE or table == Lead.TABLE:
        first, _, last = name.partition(" ")
        return client.create(names.SET, {"firstname": first, "lastname": last, **columns})
    return client.create(names.SET, {name_column: name, **columns})


def _to(table: str, record_id: str) -> dict:
    names = TABLES[table][0]
    return {
        navigation.activity_parties(Fax.TABLE): [
            {
                ActivityParty.PARTICIPATIONTYPEMASK: PARTY_TO_RECIPIENT,
                f"{navigation.party(table)}@odata.bind": f"/{names.SET}({record_id})",
            }
        ]
    }


def _send(client):
    fake = FakeFaxServer()
    report = FaxSender(client, fake, "hq", sink_of(client), clock=lambda: NOW).run_once(FaxDirectory.load(client))
    return fake, report


@pytest.mark.parametrize("table", [Contact.TABLE, Account.TABLE, Lead.TABLE])
def test_a_fax_made_with_only_a_recipient_goes_to_the_recipients_fax_number(client, table):
    seed_server(client)
    person = _person(client, table, "Reza Karimi", fax="021 8888 1234")
    fax_id = new_fax(client, number="", **_to(table, person))
    fake, report = _send(client)
    assert report.submitted == [fax_id]
    fax, _ = fake.jobs["1"]
    assert fax.dial.number == "02188881234"
    record = read_fax(client, fax_id)
    assert record[Fax.FAXNUMBER] == "021 8888 1234" and record[Fax.FAXSTATUS] == rows.QUEUED
    assert record[Fax.SUBJECT].endswith("to Reza Karimi")


def test_the_fax_s_own_number_wins_over_the_recipients(client):
    seed_server(client)
    person = _person(client, Contact.TABLE, "Reza Karimi", fax="021 8888 1234")
    fax_id = new_fax(client, number="02177776666", **_to(Contact.TABLE, person))
    fake, _ = _send(client)
    assert fake.jobs["1"][0].dial.number == "02177776666"
    assert read_fax(client, fax_id)[Fax.FAXNUMBER] == "02177776666"


def test_a_recipient_who_allows_no_faxes_is_refused_by_name_and_never_dialled(client):
    seed_server(client)
    person = _person(client, Contact.TABLE, "Reza Karimi", fax="021 8888 1234", donotfax=True)
    fax_id = new_fax(client, number="", **_to(Contact.TABLE, person))
    fake, report = _send(client)
    assert report.refused == [fax_id] and fake.jobs == {}
    record = read_fax(client, fax_id)
    assert record[Fax.FAXSTATUS] == rows.NO_FAXES
    assert "Reza Karimi allows no faxes" in record[Fax.STATUSDETAIL] and not record[Fax.FAXNUMBER]


def test_a_recipient_with_no_fax_number_is_the_clear_no_number_refusal(client):
    seed_server(client)
    person = _person(client, Account.TABLE, "Contoso Ltd", telephone1="02112345678")
    fax_id = new_fax(client, number="", **_to(Account.TABLE, person))
    fake, report = _send(client)
    assert report.refused == [fax_id] and fake.jobs == {}
    record = read_fax(client, fax_id)
    assert record[Fax.FAXSTATUS] == rows.NO_NUMBER
    assert "no recipient fax number" in record[Fax.STATUSDETAIL] and "Fax column" in record[Fax.STATUSDETAIL]


def test_the_number_is_read_from_the_first_to_party_with_one(client):
    seed_server(client)
    without = _person(client, Contact.TABLE, "Ali Nouri")
    with_fax = _person(client, Account.TABLE, "Contoso Ltd", fax="02155556666")
    fax_id = new_fax(client, number="")
    for table, record_id in ((Contact.TABLE, without), (Account.TABLE, with_fax)):
        client.create(
            ActivityParty.SET,
            {
                ActivityParty.PARTICIPATIONTYPEMASK: PARTY_TO_RECIPIENT,
                f"{navigation.party(table)}@odata.bind": f"/{TABLES[table][0].SET}({record_id})",
                f"{ActivityParty.ACTIVITYID}_{Fax.TABLE}@odata.bind": f"/{Fax.SET}({fax_id})",
            },
        )
    found = recipient_number(client, fax_id)
    assert found.number == "02155556666" and found.recipient == "Contoso Ltd" and not found.refused
