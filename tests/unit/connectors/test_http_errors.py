"""The one map from requests / urllib3 failures to the error tree (httpx's mapping test, for requests)."""

from __future__ import annotations

import inspect
import ssl

import pytest
import requests
import requests.exceptions as rex
import urllib3.exceptions as u3

from connectors import errors as tree
from connectors.dataverse import errors as dv
from connectors.dataverse.transport import translate_exception
from connectors.http_errors import ERROR_CLASSES, FATES, Fate, fate_of, transport_error
from connectors.sms._wire import Wire


def requests_exception_classes() -> list[type[rex.RequestException]]:
    return [cls for _, cls in inspect.getmembers(rex, inspect.isclass) if issubclass(cls, rex.RequestException)]


def instance(cls: type[Exception]) -> Exception:
    return cls("boom", "{", 0) if cls is rex.JSONDecodeError else cls("boom")


def wrapped(reason: Exception, cls: type[rex.RequestException] = rex.ConnectionError) -> rex.RequestException:
    """What requests raises around a urllib3 failure: ``cls(MaxRetryError(reason))``."""
    return cls(u3.MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


def test_every_requests_exception_class_is_named_in_the_table():
    missing = [cls.__name__ for cls in requests_exception_classes() if cls not in FATES]
    assert missing == []


def test_the_table_names_only_requests_exceptions():
    assert set(FATES) <= set(requests_exception_classes())


@pytest.mark.parametrize(
    "cls, fate",
    [
        (rex.ConnectTimeout, Fate.NOT_SENT),
        (rex.ProxyError, Fate.NOT_SENT),
        (rex.ReadTimeout, Fate.UNKNOWN),
        (rex.Timeout, Fate.UNKNOWN),
        (rex.ConnectionError, Fate.UNKNOWN),
        (rex.SSLError, Fate.UNKNOWN),
        (rex.ChunkedEncodingError, Fate.UNKNOWN),
        (rex.ContentDecodingError, Fate.UNKNOWN),
        (rex.StreamConsumedError, Fate.UNKNOWN),
        (rex.RetryError, Fate.UNKNOWN),
        (rex.RequestException, Fate.UNKNOWN),
        (rex.HTTPError, Fate.BAD_REPLY),
        (rex.TooManyRedirects, Fate.BAD_REPLY),
        (rex.JSONDecodeError, Fate.BAD_REPLY),
        (rex.InvalidJSONError, Fate.UNBUILDABLE),
        (rex.URLRequired, Fate.UNBUILDABLE),
        (rex.MissingSchema, Fate.UNBUILDABLE),
        (rex.InvalidSchema, Fate.UNBUILDABLE),
        (rex.InvalidURL, Fate.UNBUILDABLE),
        (rex.InvalidProxyURL, Fate.UNBUILDABLE),
        (rex.InvalidHeader, Fate.UNBUILDABLE),
        (rex.UnrewindableBodyError, Fate.UNBUILDABLE),
    ],
    ids=lambda v: getattr(v, "__name__", getattr(v, "name", str(v))),
)
def test_each_class_has_its_fate(cls, fate):
    assert fate_of(instance(cls)) is fate


@pytest.mark.parametrize(
    "fate, error_class, retry_safe",
    [
        (Fate.NOT_SENT, tree.NotSentError, True),
        (Fate.UNKNOWN, tree.OutcomeUnknownError, False),
        (Fate.UNBUILDABLE, tree.InvalidRequestError, False),
        (Fate.BAD_REPLY, tree.BadReplyError, False),
    ],
)
def test_each_fate_is_one_error_class_with_its_retry_safety(fate, error_class, retry_safe):
    assert ERROR_CLASSES[fate] is error_class
    assert error_class.retry_safe is retry_safe


@pytest.mark.parametrize(
    "failure",
    [
        wrapped(u3.NewConnectionError(None, "Connection refused")),  # type: ignore[arg-type]
        wrapped(u3.NameResolutionError("no.such.host", None, OSError("Name or service not known"))),  # type: ignore[arg-type]
        wrapped(u3.ConnectTimeoutError("connect timed out")),
        wrapped(u3.ProxyError("Unable to connect to proxy", OSError("refused"))),
        rex.ConnectionError(u3.ClosedPoolError(None, "Pool is closed.")),  # type: ignore[arg-type]
        wrapped(u3.SSLError(ssl.SSLCertVerificationError(1, "certificate verify failed")), rex.SSLError),
    ],
    ids=["refused", "dns", "connect-timeout", "proxy-unreachable", "closed-pool", "certificate"],
)
def test_a_cause_that_proves_the_connection_never_completed_means_not_sent(failure):
    assert fate_of(failure) is Fate.NOT_SENT


@pytest.mark.parametrize(
    "failure",
    [
        rex.ConnectionError(u3.ProtocolError("Connection aborted.", ConnectionResetError())),
        wrapped(u3.ProtocolError("Connection aborted.", ConnectionResetError())),
        # A TLS error while reading the reply (an abrupt close) comes as SSLError too: not proof of anything.
        wrapped(u3.SSLError(ssl.SSLEOFError(8, "EOF occurred in violation of protocol")), rex.SSLError),
        rex.ConnectionError("refused, says the text, but nothing proves it"),
    ],
    ids=["reset", "reset-after-retries", "tls-eof-while-reading", "bare-text"],
)
def test_anything_else_on_a_connection_is_outcome_unknown(failure):
    assert fate_of(failure) is Fate.UNKNOWN


def test_an_exception_merely_being_handled_nearby_proves_nothing():
    try:
        raise u3.NewConnectionError(None, "refused on an earlier attempt")  # type: ignore[arg-type]
    except u3.NewConnectionError:
        later = rex.ConnectionError(u3.ProtocolError("Connection aborted.", ConnectionResetError()))
    assert later.__context__ is None or not isinstance(later.__cause__, u3.NewConnectionError)
    assert fate_of(later) is Fate.UNKNOWN


@pytest.mark.parametrize(
    "leak, fate",
    [
        (u3.NewConnectionError(None, "refused"), Fate.NOT_SENT),  # type: ignore[arg-type]
        (u3.ReadTimeoutError(None, "/", "read timed out"), Fate.UNKNOWN),  # type: ignore[arg-type]
        (u3.ProtocolError("Connection broken"), Fate.UNKNOWN),
    ],
)
def test_urllib3_exceptions_that_leak_past_requests_are_mapped_too(leak, fate):
    assert fate_of(leak) is fate


def test_a_subclass_requests_might_add_takes_its_nearest_named_parent():
    class FutureReadTimeout(rex.ReadTimeout):
        pass

    assert fate_of(FutureReadTimeout()) is Fate.UNKNOWN


def test_the_message_names_the_class_but_never_the_text_which_may_hold_a_key():
    error = transport_error(
        rex.ConnectionError("https://api/KEY-123/sms/send.json"),
        classes=ERROR_CLASSES,
        system="kavenegar",
        operation="send",
        key="m-1",
    )
    assert "ConnectionError" in str(error) and "KEY-123" not in str(error)
    assert (error.system, error.operation, error.key) == ("kavenegar", "send", "m-1")


# --- every connector maps the same failure the same way ---


def sms_error(failure: Exception) -> tree.ConnectorError:
    wire = Wire(session=requests.Session(), system="acme", timeout=(1.0, 1.0))
    with pytest.raises(tree.ConnectorError) as caught, wire.translating("send"):
        raise failure
    return caught.value


TREE_CLASSES = (tree.NotSentError, tree.OutcomeUnknownError, tree.InvalidRequestError, tree.BadReplyError)

SAMPLES = [instance(cls) for cls in requests_exception_classes()] + [
    wrapped(u3.NewConnectionError(None, "refused")),  # type: ignore[arg-type]
    wrapped(u3.ProxyError("Unable to connect to proxy", OSError("refused")), rex.ProxyError),
    wrapped(u3.SSLError(ssl.SSLCertVerificationError(1, "certificate verify failed")), rex.SSLError),
    wrapped(u3.SSLError(ssl.SSLEOFError(8, "EOF")), rex.SSLError),
    u3.ProtocolError("Connection broken"),
]


@pytest.mark.parametrize("failure", SAMPLES, ids=lambda e: f"{type(e).__name__}({type(e.args[0]).__name__})")
def test_dataverse_and_sms_map_the_same_failure_the_same_way(failure):
    dataverse, sms = translate_exception(failure, "op"), sms_error(failure)
    expected = ERROR_CLASSES[fate_of(failure)]
    assert isinstance(dataverse, dv.DataverseError) and isinstance(dataverse, expected)
    assert type(sms) is expected
    assert [isinstance(dataverse, c) for c in TREE_CLASSES] == [isinstance(sms, c) for c in TREE_CLASSES]
    assert dataverse.retry_safe is sms.retry_safe
