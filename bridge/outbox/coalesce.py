"""How a new outbox item is stored: folded into its record's waiting row, held, or queued behind what it needs.

The put side of :class:`~bridge.outbox.store.Outbox` (issue 11 §4), run on its
writer thread inside the commit's transaction:

* the records an item names in ``after`` are released from any hold: they are
  needed now;
* an item for a record that already waits unsent is merged into that row (later
  values win) and keeps the row's place in the queue, so a record others refer
  to is still written first; the earlier of the two holds wins, and a hold
  released by this change lingers from now;
* unless the waiting row is older than a record the item needs (a request row
  written before the phone call it now links to): the merged row then moves to
  the end of the queue, behind that record, keeping its creation time;
* anything else is a new row at the end of the queue.

And when a row's send failed (:meth:`~bridge.outbox.store.Outbox.fail`), the
newer rows of its record are folded into it (:func:`fold_newer`): the retry
carries every change, once.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3

from bridge.outbox.codec import encode_body


@dataclasses.dataclass(frozen=True)
class PendingRow:
    """An item as handed to the writer thread: encoded, stamped, with the coalescing keys it needs first."""

    environment: str
    entity_set: str
    target: str
    target_key: str
    body: str
    now: float
    hold_until: float
    after: tuple[tuple[str, str], ...]


def store_row(db: sqlite3.Connection, row: PendingRow) -> int:
    """Store ``row`` as above; its queue id (the waiting row's when merged in place)."""
    needed = _release_needed(db, row)
    waiting = db.execute(
        "SELECT id, body, hold_until, created_at FROM outbox WHERE environment = ? AND entity_set = ? "
        "AND target_key = ? AND leased_until = 0 ORDER BY id DESC LIMIT 1",
        (row.environment, row.entity_set, row.target_key),
    ).fetchone()
    if waiting is None:
        return _insert(db, row, row.body, row.hold_until, row.now)
    merged = encode_body({**json.loads(waiting[1]), **json.loads(row.body)})
    hold = min(float(waiting[2]), row.hold_until)
    if hold < waiting[2] and hold <= row.now:  # released by this change: lingering counts from now
        hold = row.now
    if needed is not None and needed > waiting[0]:  # it needs a record queued after it: go behind that record
        db.execute("DELETE FROM outbox WHERE id = ?", (waiting[0],))
        return _insert(db, row, merged, hold, float(waiting[3]))
    db.execute(
        "UPDATE outbox SET body = ?, updated_at = ?, hold_until = ? WHERE id = ?", (merged, row.now, hold, waiting[0])
    )
    return int(waiting[0])


def _release_needed(db: sqlite3.Connection, row: PendingRow) -> int | None:
    """Release the records ``row`` needs from their holds; the newest queue id among their rows, if any."""
    newest = None
    for entity_set, target_key in row.after:
        db.execute(
            "UPDATE outbox SET hold_until = ? WHERE environment = ? AND entity_set = ? "
            "AND target_key = ? AND hold_until > ?",
            (row.now, row.environment, entity_set, target_key, row.now),
        )
        (found,) = db.execute(
            "SELECT MAX(id) FROM outbox WHERE environment = ? AND entity_set = ? AND target_key = ?",
            (row.environment, entity_set, target_key),
        ).fetchone()
        if found is not None:
            newest = found if newest is None else max(newest, found)
    return newest


def _insert(db: sqlite3.Connection, row: PendingRow, body: str, hold_until: float, created_at: float) -> int:
    cursor = db.execute(
        "INSERT INTO outbox (environment, entity_set, target, target_key, body, created_at, updated_at, "
        "hold_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (row.environment, row.entity_set, row.target, row.target_key, body, created_at, row.now, hold_until),
    )
    return int(cursor.lastrowid or 0)


def fold_newer(db: sqlite3.Connection, row_id: int, now: float) -> None:
    """Fold the newer rows of ``row_id``'s record into it (later values win) and delete them."""
    newer = db.execute(
        "SELECT n.id, n.body, o.body FROM outbox o JOIN outbox n ON n.environment = o.environment "
        "AND n.entity_set = o.entity_set AND n.target_key = o.target_key AND n.id > o.id "
        "WHERE o.id = ? ORDER BY n.id",
        (row_id,),
    ).fetchall()
    if not newer:
        return
    body = json.loads(newer[0][2])
    for _, newer_body, _ in newer:
        body.update(json.loads(newer_body))
    db.execute("UPDATE outbox SET body = ?, updated_at = ? WHERE id = ?", (encode_body(body), now, row_id))
    db.executemany("DELETE FROM outbox WHERE id = ?", [(n[0],) for n in newer])
