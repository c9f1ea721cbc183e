"""Deterministic demo data: contacts, accounts, leads, users and teams with Iranian phone numbers.

Names are Persian and English; numbers are written the ways real CRMs hold them: landlines
with city codes (``+98 21 8888 1234``, ``021-88881234``, ``(031) 3222 4567``), mobiles
(``09121234567``, ``+98 935 123 4567``), some in Persian digits, a few international.
Every record has a name-based id and is created only if missing, written straight through
the store, so seeding twice changes nothing (not even version numbers).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.errors import ODataError
from emulator.odata import parse_query_options, parse_record_ref

if TYPE_CHECKING:
    from emulator.store import Store

_NAMESPACE = uuid.UUID("0b7f3c9e-2d41-4a8e-9f6b-5c1d7e8a9b20")
SEED = 1404

PERSIAN_FIRST = (
    "علی",
    "محمد",
    "حسین",
    "رضا",
    "مهدی",
    "امیر",
    "سارا",
    "فاطمه",
    "زهرا",
    "مریم",
    "نرگس",
    "پریسا",
    "کاوه",
    "بهرام",
    "شیرین",
    "لیلا",
    "آرش",
    "نیلوفر",
    "سپیده",
    "داریوش",
    "مینا",
    "یاسمن",
    "فرهاد",
    "هستی",
)
PERSIAN_LAST = (
    "محمدی",
    "حسینی",
    "احمدی",
    "رضایی",
    "کریمی",
    "موسوی",
    "جعفری",
    "صادقی",
    "رحیمی",
    "قاسمی",
    "طاهری",
    "نوری",
    "اکبری",
    "کاظمی",
    "شریفی",
    "هاشمی",
    "زمانی",
    "بهرامی",
    "فرهادی",
    "توکلی",
    "سلطانی",
    "امینی",
)
ENGLISH_FIRST = (
    "Ali",
    "Reza",
    "Sara",
    "Maryam",
    "Dariush",
    "Kaveh",
    "Leila",
    "Neda",
    "Omid",
    "Parisa",
    "Babak",
    "Shirin",
    "Arash",
    "Nasrin",
    "Farhad",
    "Golnaz",
    "John",
    "Emma",
    "Oliver",
    "Sophie",
)
ENGLISH_LAST = (
    "Mohammadi",
    "Hosseini",
    "Ahmadi",
    "Rezaei",
    "Karimi",
    "Mousavi",
    "Jafari",
    "Sadeghi",
    "Tehrani",
    "Esfahani",
    "Shirazi",
    "Tabrizi",
    "Rahimi",
    "Ghasemi",
    "Smith",
    "Brown",
    "Taylor",
    "Wilson",
)
COMPANY_WORDS = (
    ("پارس", "Pars"),
    ("آریا", "Aria"),
    ("سپهر", "Sepehr"),
    ("البرز", "Alborz"),
    ("کیان", "Kian"),
    ("نوین", "Novin"),
    ("پیشگام", "Pishgam"),
    ("ایرانیان", "Iranian"),
    ("مهر", "Mehr"),
    ("آسمان", "Aseman"),
)
COMPANY_KINDS = (
    ("تجارت", "Trading"),
    ("صنعت", "Industries"),
    ("ارتباطات", "Telecom"),
    ("فناوری", "Technology"),
    ("لجستیک", "Logistics"),
    ("دارو", "Pharma"),
    ("ساختمان", "Construction"),
    ("بیمه", "Insurance"),
)
#: City → area code (without the trunk 0); all these cities use 8-digit local numbers.
CITIES = (
    ("Tehran", "21"),
    ("Isfahan", "31"),
    ("Mashhad", "51"),
    ("Shiraz", "71"),
    ("Tabriz", "41"),
    ("Karaj", "26"),
    ("Ahvaz", "61"),
    ("Qom", "25"),
    ("Kermanshah", "83"),
    ("Rasht", "13"),
    ("Yazd", "35"),
    ("Kerman", "34"),
    ("Urmia", "44"),
    ("Hamadan", "81"),
    ("Arak", "86"),
    ("Bandar Abbas", "76"),
)
MOBILE_PREFIXES = (
    "912",
    "913",
    "915",
    "917",
    "919",
    "921",
    "922",
    "935",
    "936",
    "937",
    "938",
    "939",
    "901",
    "902",
    "903",
    "990",
    "991",
    "993",
)
#: Reserved-for-fiction or clearly sample numbers abroad.
INTERNATIONAL = (
    "+44 20 7946 0958",
    "+1 202-555-0143",
    "+971 4 123 4567",
    "+49 30 1234 5678",
    "+90 212 555 1234",
    "+1 (415) 555-0199",
    "+44 161 496 0732",
    "+86 10 6552 9988",
)
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

_NO_OPTIONS = parse_query_options({})
COUNTS = {"systemuser": 12, "team": 4, "account": 60, "contact": 240, "lead": 90}


@dataclass(frozen=True)
class SeedReport:
    created: dict[str, int]
    existing: dict[str, int]


def seed_id(table: str, index: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{table}/{index}"))


class _Numbers:
    """Phone numbers in the formats found in real Iranian CRM data."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def landline(self) -> str:
        _, code = self.rng.choice(CITIES)
        local = f"{self.rng.randint(2, 8)}{self.rng.randint(0, 9_999_999):07d}"
        styles: tuple[Callable[[], str], ...] = (
            lambda: f"+98 {code} {local[:4]} {local[4:]}",
            lambda: f"0{code}-{local}",
            lambda: f"(0{code}) {local[:4]} {local[4:]}",
            lambda: f"0{code}{local}",
            lambda: f"+98{code}{local}",
            lambda: f"0098 {code} {local}",
            lambda: f"0{code}-{local}".translate(PERSIAN_DIGITS),
        )
        return self.rng.choice(styles)()

    def mobile(self) -> str:
        prefix = self.rng.choice(MOBILE_PREFIXES)
        rest = f"{self.rng.randint(0, 9_999_999):07d}"
        styles: tuple[Callable[[], str], ...] = (
            lambda: f"0{prefix}{rest}",
            lambda: f"0{prefix} {rest[:3]} {rest[3:]}",
            lambda: f"+98 {prefix} {rest[:3]} {rest[3:]}",
            lambda: f"+98{prefix}{rest}",
            lambda: f"98{prefix}{rest}",
            lambda: f"0{prefix}-{rest[:3]}-{rest[3:]}",
            lambda: f"0{prefix}{rest}".translate(PERSIAN_DIGITS),
        )
        return self.rng.choice(styles)()

    def any_phone(self) -> str:
        if self.rng.random() < 0.05:
            return self.rng.choice(INTERNATIONAL)
        return self.mobile() if self.rng.random() < 0.5 else self.landline()


def seed(store: Store) -> SeedReport:
    """Create whatever demo records are missing; return how many were created and already there."""
    created: dict[str, int] = {}
    existing: dict[str, int] = {}
    with store.transaction():
        for logical_name, entity_set, record_id, body in _records(store):
            if _exists(store, entity_set, record_id):
                existing[logical_name] = existing.get(logical_name, 0) + 1
                continue
            store.create(entity_set, _known_columns(store, logical_name, body))
            created[logical_name] = created.get(logical_name, 0) + 1
    return SeedReport(created, existing)


def _records(store: Store) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    rng = random.Random(SEED)
    numbers = _Numbers(rng)
    business_unit = store.whoami()["BusinessUnitId"]
    builders = (("systemuser", _user), ("team", _team), ("account", _account), ("contact", _contact), ("lead", _lead))
    for logical_name, build in builders:
        if logical_name not in store.tables:
            continue
        table = store.tables[logical_name]
        for index in range(COUNTS[logical_name]):
            record_id = seed_id(logical_name, index)
            body = {table.primary_id: record_id, **build(index, rng, numbers, business_unit)}
            yield logical_name, table.entity_set_name, record_id, body


def _person(index: int, rng: random.Random) -> tuple[str, str]:
    if index % 3 == 2:
        return rng.choice(ENGLISH_FIRST), rng.choice(ENGLISH_LAST)
    return rng.choice(PERSIAN_FIRST), rng.choice(PERSIAN_LAST)


def _user(index: int, rng: random.Random, numbers: _Numbers, business_unit: str) -> dict[str, Any]:
    first, last = rng.choice(ENGLISH_FIRST), rng.choice(ENGLISH_LAST)
    login = f"{first}.{last}{index}".lower()
    return {
        "firstname": first,
        "lastname": last,
        "fullname": f"{first} {last}",
        "domainname": f"{login}@commsuite.example",
        "internalemailaddress": f"{login}@commsuite.example",
        "mobilephone": numbers.mobile(),
        "address1_telephone1": f"021-8888{1000 + index}",
        "businessunitid@odata.bind": f"/businessunits({business_unit})",
    }


def _team(index: int, rng: random.Random, numbers: _Numbers, business_unit: str) -> dict[str, Any]:
    names = ("Sales Tehran / فروش تهران", "Support / پشتیبانی", "Billing / صورتحساب", "Field Service / خدمات میدانی")
    return {
        "name": names[index % len(names)],
        "teamtype": 0,
        "businessunitid@odata.bind": f"/businessunits({business_unit})",
        "administratorid@odata.bind": f"/systemusers({seed_id('systemuser', index)})",
    }


def _account(index: int, rng: random.Random, numbers: _Numbers, business_unit: str) -> dict[str, Any]:
    word, kind = rng.choice(COMPANY_WORDS), rng.choice(COMPANY_KINDS)
    name = f"{word[1]} {kind[1]}" if index % 2 else f"{kind[0]} {word[0]}"
    return {
        "name": name,
        "accountnumber": f"ACC-{10000 + index}",
        "telephone1": numbers.landline(),
        "telephone2": numbers.any_phone() if rng.random() < 0.4 else None,
        "fax": numbers.landline() if rng.random() < 0.3 else None,
        "emailaddress1": f"info{index}@{word[1].lower()}-{kind[1].lower()}.example",
    }


def _contact(index: int, rng: random.Random, numbers: _Numbers, business_unit: str) -> dict[str, Any]:
    first, last = _person(index, rng)
    body: dict[str, Any] = {
        "firstname": first,
        "lastname": last,
        "fullname": f"{first} {last}",
        "mobilephone": numbers.mobile(),
        "telephone1": numbers.landline() if rng.random() < 0.7 else None,
        "telephone2": numbers.any_phone() if rng.random() < 0.3 else None,
        "emailaddress1": f"contact{index}@mail.example",
    }
    if rng.random() < 0.6:
        body["parentcustomerid_account@odata.bind"] = (
            f"/accounts({seed_id('account', rng.randrange(COUNTS['account']))})"
        )
    return body


def _lead(index: int, rng: random.Random, numbers: _Numbers, business_unit: str) -> dict[str, Any]:
    first, last = _person(index, rng)
    word, kind = rng.choice(COMPANY_WORDS), rng.choice(COMPANY_KINDS)
    return {
        "subject": f"Interest in hosted PBX #{index}" if index % 2 else f"درخواست سامانه پیامک #{index}",
        "firstname": first,
        "lastname": last,
        "fullname": f"{first} {last}",
        "companyname": f"{word[1]} {kind[1]}",
        "telephone1": numbers.any_phone(),
        "mobilephone": numbers.mobile(),
        "emailaddress1": f"lead{index}@mail.example",
    }


def _known_columns(store: Store, logical_name: str, body: dict[str, Any]) -> dict[str, Any]:
    """Drop plain columns the installed table lacks (a minimal schema) and empty values."""
    table = store.tables[logical_name]
    return {
        name: value
        for name, value in body.items()
        if value is not None and ("@odata.bind" in name or table.has_column(name))
    }


def _exists(store: Store, entity_set: str, record_id: str) -> bool:
    try:
        store.retrieve(entity_set, parse_record_ref(record_id), _NO_OPTIONS)
    except ODataError as error:
        if error.status == 404:
            return False
        raise
    return True
