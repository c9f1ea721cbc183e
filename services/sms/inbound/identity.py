"""A stable identity for inbound texts that come without a provider message id (issue 12, §2).

Storing is keyed by (account key, provider message id). Some providers give no
id for an inbound text; keying such texts by their words alone would fold two
identical texts ("YES", "YES") into one. Each one without an id gets a derived
id instead: a hash of its receipt time, sender, our line, the hash of its text
and its position among identical texts of the same delivery. A listing fetched
again gives the same ids (stored once); the same words sent twice are two texts.

The receipt time is the provider's when it gives one; otherwise it is the time
the text reached us, so a provider that pushes the same id-less, time-less text
again after an error stores it twice (better than dropping a second real text).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from domain.sms import InboundSms
from domain.sms.text import storable_text

DERIVED_PREFIX = "derived-"


def with_identity(messages: Sequence[InboundSms], *, received_at: datetime) -> list[InboundSms]:
    """``messages`` in order, those without a provider id given a derived one and their receipt time.

    Every text field is made storable first (:func:`~domain.sms.text.storable_text`): a NUL or a lone
    surrogate a provider sent would otherwise fail the write, and the text would never be stored.
    """
    seen: Counter[tuple[str, str, str, str]] = Counter()
    keyed = []
    for sms in map(_storable, messages):
        if sms.provider_id.strip():
            keyed.append(sms)
            continue
        stamp = sms.received_at or received_at
        text_hash = hashlib.sha256(sms.text.encode("utf-8")).hexdigest()
        basis = (stamp.isoformat(), sms.sender.strip(), sms.line.strip(), text_hash)
        position = seen[basis]
        seen[basis] += 1
        digest = hashlib.sha256("\x1f".join((*basis, str(position))).encode("utf-8")).hexdigest()[:40]
        keyed.append(replace(sms, provider_id=DERIVED_PREFIX + digest, received_at=stamp))
    return keyed


def _storable(sms: InboundSms) -> InboundSms:
    fields = {"provider_id": sms.provider_id, "sender": sms.sender, "line": sms.line, "text": sms.text}
    cleaned = {name: storable_text(value) for name, value in fields.items()}
    return sms if cleaned == fields else replace(sms, **cleaned)
