"""The SMS form's counter agrees exactly with domain/sms/segments.py (SMS-01, SMS-06, issue 4).

Hundreds of texts built here (every character near the GSM tables, runs around each part
boundary, an extension character or an emoji straddling a boundary, seeded random mixes of
Persian, Arabic, Latin, GSM extension characters and emoji) are counted by the web resource
under node and by :func:`count_segments`; encoding, units, parts and units per part must match.
"""

from __future__ import annotations

import json
import random

import pytest

from domain.sms import count_segments
from domain.sms.segments import PART_LIMIT, SINGLE_LIMIT

from .test_sms_form import JS_DIR, run_node

PERSIAN = "سلام دنیا به ایران خوش آمدید ۱۲۳۴ گچپژ"
ARABIC = "مرحبا بالعالم كيف حالك يا صديقي"
GSM = "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà\n\r abcXYZ019"
EXTENSION = "€[]{}^~\\|\f"
EMOJI = ["😀", "👍🏽", "🇮🇷", "❤️", "𝄞"]
INVISIBLE = ["\u200c", "\u200f", "\u00a0", "\u0640"]
PIECES = ["a", "€", "[", "س", "ك", "۱", "\u200c", "😀", "ab€", "سa", "é", "ç"]


def boundaries() -> list[int]:
    """Run lengths around every single-part and per-part limit, and their multiples."""
    limits = set(SINGLE_LIMIT.values()) | set(PART_LIMIT.values())
    sizes = {n + d for limit in limits for k in (1, 2, 3) for n in (limit * k,) for d in (-1, 0, 1)}
    return sorted(s for s in sizes | {0, 1, 35, 36, 80, 81, 1000, 4000} if s >= 0)


def straddling() -> list[str]:
    """Two-unit characters placed exactly where a part ends: they move whole to the next part."""
    texts = []
    for k in range(150, 156):
        texts += ["a" * k + "€" + "a" * 153, "a" * k + "€€" + "a" * 10]
    for k in range(64, 70):
        texts += ["س" * k + "😀" + "س" * 67, "😀" + "س" * k + "😀"]
    return texts + ["a" * 159 + "ب", "€" * 80, "€" * 81, "€" * 77 + "a", "😀" * 35, "😀" * 36]


def mixes(count: int, seed: int) -> list[str]:
    """Seeded random texts: about half GSM-only (with extension characters), the rest Unicode."""
    rng = random.Random(seed)
    gsm_pool = list(GSM) * 4 + list(EXTENSION)
    unicode_pool = list(PERSIAN) + list(ARABIC) + list(GSM) + list(EXTENSION) + EMOJI + INVISIBLE
    texts = []
    for index in range(count):
        pool = gsm_pool if index % 2 else unicode_pool
        texts.append("".join(rng.choice(pool) for _ in range(rng.randrange(0, 420))))
    return texts


def single_characters() -> list[str]:
    """Every character of the ranges the GSM tables are drawn from, each alone."""
    ranges = [range(0x00, 0x300), range(0x370, 0x400), range(0x600, 0x700), range(0x2000, 0x20FF)]
    return [chr(code) for r in ranges for code in r] + EMOJI


def corpus() -> list[str]:
    runs = [piece * n for piece in PIECES for n in boundaries()]
    persian = [(PERSIAN * 200)[:n] for n in boundaries()]
    return [""] + runs + persian + straddling() + mixes(400, seed=4) + single_characters()


def js_counts(texts: list[str]) -> list[list]:
    result = run_node(str(JS_DIR / "count_segments.js"), stdin=json.dumps(texts))
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def compared() -> list[tuple[str, list, list]]:
    texts = corpus()
    counted = js_counts(texts)
    assert len(counted) == len(texts)
    expected = [[c.encoding.value, c.units, c.parts, c.part_limit] for c in map(count_segments, texts)]
    return list(zip(texts, expected, counted, strict=True))


def test_the_corpus_covers_both_encodings_and_many_parts(compared) -> None:
    assert len(compared) > 1500
    encodings = {expected[0] for _, expected, _ in compared}
    assert encodings == {"gsm7", "ucs2"}
    assert max(expected[2] for _, expected, _ in compared) >= 27


def test_the_form_counts_every_text_as_the_sender_does(compared) -> None:
    wrong = [(text[:40], expected, got) for text, expected, got in compared if expected != got]
    assert not wrong, f"{len(wrong)} texts counted differently, e.g. {wrong[:5]}"
