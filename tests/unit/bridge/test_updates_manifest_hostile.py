"""CALL-44: any release feed, signed or not, is a release or an ``UntrustedFeedError``, never a stray exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.runtime.updates_manifest import Release, UntrustedFeedError, release_key, sign_feed, verify_feed

from .updates_feed import PUBLIC, SIGNER

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEY = release_key(PUBLIC)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "version": st.one_of(st.sampled_from(["1.4.0", "1.4.0rc1", "01.4", "1.-4.0", "9" * 500]), _JSON),
        "url": st.one_of(st.just("https://releases.example/a.whl"), _JSON),
        "sha256": st.one_of(st.just("ab" * 32), _JSON),
        "notes": _JSON,
        "artefacts": _JSON,
        "outbox_schemas": st.one_of(
            st.lists(st.sampled_from([1, -1, 1e308, 1e400, "2", "x", None]), max_size=3), _JSON
        ),
    },
)


def _verify(document: bytes, base_url: str = "") -> None:
    try:
        release = verify_feed(document, KEY, base_url=base_url)
    except UntrustedFeedError:
        return
    assert isinstance(release, Release) and release.url.startswith("https://")


@FAST
@given(document=st.binary(max_size=300))
def test_any_feed_bytes_are_untrusted_or_a_release(document: bytes) -> None:
    _verify(document)


def test_a_feed_nested_too_deep_is_untrusted() -> None:
    _verify(b"[" * 5000 + b"]" * 5000)
    _verify(b'{"manifest":' * 3000 + b"1" + b"}" * 3000)


@FAST
@given(fields=_FIELDS, base_url=st.sampled_from(["", "file:///srv/feed.json", "https://r.example/feed.json"]))
def test_any_signed_manifest_is_untrusted_or_a_release(fields: dict, base_url: str) -> None:
    _verify(sign_feed(fields, SIGNER), base_url)


def test_a_signed_manifest_with_an_infinite_schema_number_is_untrusted() -> None:
    fields = {"version": "1.4.0", "url": "https://r.example/a.whl", "sha256": "ab" * 32, "artefacts": []}
    _verify(sign_feed({**fields, "outbox_schemas": [float("inf")]}, SIGNER))
    _verify(sign_feed({**fields, "outbox_schemas": [float("nan")]}, SIGNER))
