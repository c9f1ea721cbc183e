"""Which mobile number a recipient record is texted at, or why it cannot be (SMS-01, -03, -08, -15, X-05).

The phone columns are tried in the configured order (a bulk send's Phone
Columns, e.g. ``mobilephone,telephone2``); the first that holds a mobile
number under the numbering plan wins. A recipient with no mobile, or whose
number has opted out, gets a :class:`RecipientError` with a plain reason in
English and Persian for the record, and is never sent to (SMS-15).
Pure: no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from dataverse_schema.names import Contact
from domain.digits import ARABIC_INDIC_DIGITS, PERSIAN_DIGITS
from domain.numbers import NumberKind, NumberPlan, dial_string, normalise

#: An opt-out row's Normalised Number when its phone number is no number (SMS-15): never E.164 (that starts
#: with ``+``), so it matches no recipient, and never empty, so the sweep reads the row once, not every run.
NOT_A_NUMBER = "not a number"
_OTHER_SCRIPTS = tuple(str.maketrans("0123456789", digits) for digits in (PERSIAN_DIGITS, ARABIC_INDIC_DIGITS))
#: Tried when no phone columns are named: the mobile phone (named alike on contacts, leads and users).
DEFAULT_COLUMNS = (Contact.MOBILEPHONE,)


class RecipientProblem(enum.Enum):
    NO_NUMBER = "no_number"
    NOT_A_NUMBER = "not_a_number"
    NOT_MOBILE = "not_mobile"
    OPTED_OUT = "opted_out"


_REASONS = {
    RecipientProblem.NO_NUMBER: (
        "the record has no mobile number in {columns}",
        "رکورد در {columns} شماره همراه ندارد",
    ),
    RecipientProblem.NOT_A_NUMBER: (
        "{column} holds {shown!r}, which is not a phone number",
        "مقدار {column} ({shown}) شماره تلفن نیست",
    ),
    RecipientProblem.NOT_MOBILE: (
        "{column} holds {shown}, which is not a mobile number",
        "شماره {shown} در {column} شماره همراه نیست",
    ),
    RecipientProblem.OPTED_OUT: (
        "{shown} has opted out of SMS and is never sent to",
        "شماره {shown} دریافت پیامک را لغو کرده است و برای آن ارسال نمی‌شود",
    ),
}


@dataclass(frozen=True)
class Recipient:
    """A number to text: ``mobile`` in E.164, ``column`` it came from, ``raw`` as it was written."""

    mobile: str
    column: str
    raw: str


@dataclass(frozen=True)
class RecipientError:
    """Why a record is not texted, in words for its error column (a value, not an exception)."""

    problem: RecipientProblem
    reason: str
    reason_fa: str
    column: str | None = None


def resolve_recipient(
    record: Mapping[str, object],
    plan: NumberPlan,
    opted_out: Collection[str],
    *,
    columns: Sequence[str] = DEFAULT_COLUMNS,
) -> Recipient | RecipientError:
    """The mobile to text for ``record``, or the reason there is none.

    ``opted_out`` holds E.164 numbers (the SMS Opt-Out table). When no column
    holds a mobile, the first column's problem is reported (a landline or junk
    explains more than "no number"). An opted-out mobile is reported as such
    even when another column holds a different mobile: the customer asked to
    stop, so texting their second phone would ignore that.
    """
    first_problem: RecipientError | None = None
    found: Recipient | None = None
    for column in columns:
        raw = record.get(column)
        if not isinstance(raw, str) or not raw.strip():
            continue
        number = normalise(raw, plan)
        if number is None:
            first_problem = first_problem or _error(RecipientProblem.NOT_A_NUMBER, column, raw.strip()[:40])
        elif number.kind is not NumberKind.MOBILE:
            first_problem = first_problem or _error(RecipientProblem.NOT_MOBILE, column, number.e164)
        elif number.e164 in opted_out:
            return _error(RecipientProblem.OPTED_OUT, column, number.e164)
        elif found is None:
            found = Recipient(number.e164, column, raw)
    if found is not None:
        return found
    return first_problem or _error(RecipientProblem.NO_NUMBER, None, "", columns=", ".join(columns) or "-")


def _error(problem: RecipientProblem, column: str | None, shown: str, *, columns: str = "") -> RecipientError:
    english, persian = _REASONS[problem]
    values = {"column": column or "", "shown": shown, "columns": columns}
    return RecipientError(problem, english.format(**values), persian.format(**values), column)


def opted_out_numbers(typed: Iterable[str], plan: NumberPlan) -> frozenset[str]:
    """The E.164 numbers of opt-out rows as they were typed (SMS-15, X-05).

    Rows written by a keyword are E.164 already; rows entered by hand or
    imported may hold ``0912 123 4567`` or ``۰۹۱۲۱۲۳۴۵۶۷``. Each is normalised
    under ``plan``; a row that is no number is kept as typed, so it still
    matches a recipient written the same way.
    """
    numbers = set()
    for raw in typed:
        number = normalise(raw, plan)
        numbers.add(number.e164 if number is not None else raw.strip())
    return frozenset(numbers)


def normalised_opt_out(typed: str | None, plan: NumberPlan) -> str:
    """The Normalised Number of an opt-out row whose phone number reads ``typed`` (SMS-15, X-05).

    The row's number in E.164 under ``plan`` (``0912 123 4567``, ``۰۹۱۲-۱۲۳-۴۵۶۷``
    and ``+98 912 123 4567`` all give ``+989121234567``), or :data:`NOT_A_NUMBER`
    for text that is no phone number (empty, junk, an extension, over 100 characters).
    """
    number = normalise(typed, plan)
    return number.e164 if number is not None and number.e164.startswith("+") else NOT_A_NUMBER


def opt_out_spellings(e164: str, plan: NumberPlan) -> list[str]:
    """The ways an opt-out row entered by hand may spell ``e164``, to look it up by equality (SMS-15, X-05).

    E.164, its digits without ``+`` and with ``00``, and, for numbers of the
    plan's country, the national form (``09121234567``) in ASCII, Persian and
    Arabic-Indic digits. Spellings with spaces or dashes are not among them: such
    a row is found by its Normalised Number once the sweep has written it
    (:func:`normalised_opt_out`).
    """
    digits = e164.lstrip("+")
    spellings = [e164, digits, "00" + digits]
    if digits.startswith(str(plan.country_code)):
        national = dial_string(e164, NumberPlan(plan.country_code, city_code=""))
        spellings += [national, *(national.translate(script) for script in _OTHER_SCRIPTS)]
    return list(dict.fromkeys(spellings))
