"""An environment whose solution predates a column: its refusals recognised, remembered per client, said once.

The bodies are Dataverse's 400 replies: a ``$select`` / ``$filter`` naming a column the table lacks, and a
write body naming one.
"""

from __future__ import annotations

import logging

import pytest
import requests
import responses

from connectors.dataverse import DataverseClient, RecordId, StaticToken, ValidationError
from connectors.dataverse.optional_columns import MissingColumn, OptionalColumns, missing_column

ORIGIN = "https://org.example.com"
OPT_OUTS = f"{ORIGIN}/api/data/v9.2/comms_smsoptouts"
ROW = "0b1c2d3e-0000-4000-8000-000000000001"
TABLE, COLUMN = "comms_smsoptout", "comms_normalisednumber"


def _query_refusal(column: str = COLUMN, table: str = TABLE) -> dict:
    return {
        "error": {
            "code": "0x80060888",
            "message": f"Could not find a property named '{column}' on type 'Microsoft.Dynamics.CRM.{table}'.",
        }
    }


def _write_refusal(column: str = COLUMN, table: str = TABLE) -> dict:
    return {
        "error": {
            "code": "0x80060888",
            "message": f"The property '{column}' does not exist on type 'Microsoft.Dynamics.CRM.{table}'. Make sure "
            "to only use property names that are defined by the type or mark the type as open type.",
        }
    }


@pytest.fixture
def client() -> DataverseClient:
    return DataverseClient(base_url=ORIGIN, session=requests.Session(), token_provider=StaticToken("t"), retry=None)


def test_both_refusals_are_read_as_a_missing_column(client):
    with responses.RequestsMock() as wire:
        wire.get(OPT_OUTS, status=400, json=_query_refusal())
        wire.patch(f"{OPT_OUTS}({ROW})", status=400, json=_write_refusal())
        with pytest.raises(ValidationError) as query:
            list(client.query("comms_smsoptouts", select=[COLUMN]))
        with pytest.raises(ValidationError) as write:
            client.update("comms_smsoptouts", RecordId(ROW), {COLUMN: "+989121234567"})
    assert missing_column(query.value) == missing_column(write.value) == MissingColumn(TABLE, COLUMN)


def test_any_other_refusal_is_not_a_missing_column():
    error = ValidationError("A validation error occurred. The value of 'comms_phonenumber' is too long.", status=400)
    assert missing_column(error) is None


def test_a_refused_attempt_is_made_again_without_the_column_and_said_once(client, caplog):
    columns = OptionalColumns()
    asked: list[tuple[str, ...]] = []

    def attempt(present: tuple[str, ...]) -> str:
        asked.append(present)
        if COLUMN in present:
            raise ValidationError(_query_refusal()["error"]["message"], status=400, code="0x80060888")
        return "read"

    with caplog.at_level(logging.WARNING, logger="connectors.dataverse.optional_columns"):
        assert columns.run(TABLE, (COLUMN, "comms_other"), attempt, consequence="sends check spellings only") == "read"
        assert columns.run(TABLE, (COLUMN, "comms_other"), attempt) == "read"
    assert asked == [(COLUMN, "comms_other"), ("comms_other",), ("comms_other",)]
    assert columns.lacks(TABLE, COLUMN) and not columns.lacks(TABLE, "comms_other")
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1 and COLUMN in warned[0] and "import this version's CommSuite solution" in warned[0]
    assert "sends check spellings only" in warned[0]


def test_columns_of_one_release_go_together():
    columns = OptionalColumns()
    error = ValidationError(_query_refusal("comms_a", "comms_faxserver")["error"]["message"], status=400)
    assert columns.note(error, "comms_faxserver", ("comms_a", "comms_b"), together=True)
    assert columns.present("comms_faxserver", ("comms_a", "comms_b", "comms_c")) == ("comms_c",)


def test_a_refusal_for_another_table_or_column_propagates():
    columns = OptionalColumns()

    def attempt(present: tuple[str, ...]) -> None:
        raise ValidationError(_write_refusal("comms_phonenumber")["error"]["message"], status=400)

    with pytest.raises(ValidationError):
        columns.run(TABLE, (COLUMN,), attempt)
    other_table = ValidationError(_query_refusal(COLUMN, "comms_sms")["error"]["message"], status=400)
    assert not columns.note(other_table, TABLE, (COLUMN,))
    assert not columns.lacks(TABLE, COLUMN)


def test_the_client_remembers_for_its_impersonating_copies(client):
    client.optional_columns.remember(TABLE, (COLUMN,))
    caller = client.as_caller(systemuser_id=ROW)
    assert caller.optional_columns.lacks(TABLE, COLUMN)
    fresh = DataverseClient(base_url=ORIGIN, session=requests.Session(), token_provider=StaticToken("t"), retry=None)
    assert not fresh.optional_columns.lacks(TABLE, COLUMN)


def test_a_missing_column_is_asked_for_again_after_the_recheck_time_and_taken_once_imported(caplog):
    now = [0.0]
    columns = OptionalColumns(clock=lambda: now[0], recheck_after_s=900)
    imported = [False]
    asked: list[tuple[str, ...]] = []

    def attempt(present: tuple[str, ...]) -> str:
        asked.append(present)
        if COLUMN in present and not imported[0]:
            raise ValidationError(_query_refusal()["error"]["message"], status=400, code="0x80060888")
        return "read"

    with caplog.at_level(logging.WARNING, logger="connectors.dataverse.optional_columns"):
        columns.run(TABLE, (COLUMN,), attempt)
        now[0] = 899
        columns.run(TABLE, (COLUMN,), attempt)  # still known missing: not asked for
        now[0] = 900
        columns.run(TABLE, (COLUMN,), attempt)  # asked again, still refused: left out again, no second warning
        imported[0] = True
        now[0] = 1800
        columns.run(TABLE, (COLUMN,), attempt)  # the solution is in: taken up without a restart
    assert asked == [(COLUMN,), (), (), (COLUMN,), (), (COLUMN,)]
    assert not columns.lacks(TABLE, COLUMN)
    assert len(caplog.records) == 1
