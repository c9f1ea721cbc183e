"""One JSON encoding for every body bound for Dataverse (client, $batch parts, the bridge's outbox)."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

import pytest

from connectors.dataverse import jsonbody
from connectors.dataverse.batch import Batch, encode_batch

TEHRAN = dt.timezone(dt.timedelta(hours=3, minutes=30))


def test_values_are_written_as_dataverse_expects() -> None:
    document = {
        "actualstart": dt.datetime(2026, 3, 20, 12, 0, tzinfo=TEHRAN),
        "birthdate": dt.date(1990, 1, 2),
        "ownerid": uuid.UUID(int=1),
        "comms_debt": decimal.Decimal("12.5"),
        "subject": "تماس ورودی",
    }
    assert jsonbody.dumps(document) == (
        '{"actualstart":"2026-03-20T08:30:00Z","birthdate":"1990-01-02",'
        '"ownerid":"00000000-0000-0000-0000-000000000001","comms_debt":12.5,"subject":"تماس ورودی"}'
    )


def test_naive_datetimes_and_unknown_types_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        jsonbody.dumps({"actualstart": dt.datetime(2026, 3, 20, 12, 0)})
    with pytest.raises(TypeError, match="object"):
        jsonbody.dumps({"x": object()})


def test_batch_parts_use_the_same_encoding() -> None:
    batch = Batch()
    batch.add("PATCH", f"phonecalls({uuid.UUID(int=2)})", {"actualend": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)})
    body, _ = encode_batch(batch.chunks()[0], "/api/data/v9.2/")
    assert b'{"actualend":"2026-01-01T00:00:00Z"}' in body
