"""How a call's whole seconds are counted: the span between two times, the fraction of a second dropped.

Every ring, talk and hold figure the bridge computes from two times goes through :func:`whole_seconds`, so a call
seen live and the same call read from the PBX's CDR give the same number. The rule is Asterisk's CDR default:
``cdr_object_get_billsec`` and ``cdr_object_get_duration`` in ``main/cdr.c`` (public repo asterisk/asterisk,
the same in 13.38.3, 16.30.1, 18.26.4 and 20.20.1) divide the elapsed milliseconds by 1000, so 4.999 s is 4 s.
Only with ``initiatedseconds = yes`` in ``cdr.conf`` does Asterisk count a started half second as a whole one
(for ``BillableSeconds`` only); the bridge does not follow that option.

Totals a device states itself (Panasonic SMDR's duration, a CDR's ``BillableSeconds``, a caller-ID unit's
seconds) are whole seconds already and are taken as given.
"""

from __future__ import annotations

from datetime import datetime, timedelta

_SECOND = timedelta(seconds=1)


def whole_seconds(span: timedelta) -> int:
    """The whole seconds in ``span``, the fraction dropped; a negative span (clocks out of step) counts 0."""
    return max(0, span // _SECOND)


def seconds_between(start: datetime, end: datetime) -> int:
    """The whole seconds from ``start`` to ``end`` (see :func:`whole_seconds`)."""
    return whole_seconds(end - start)
