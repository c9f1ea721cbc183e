"""The HylaFAX connector against a scripted hfaxd on a local socket: error mapping, timeouts, canary."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from connectors.errors import AuthError, BadReplyError, NotSentError, OutcomeUnknownError, RejectedError
from connectors.fax.hylafax import HylaFaxServer, HylaFaxSettings
from domain.fax import DialParts, FaxDocument, OutgoingFax

CANARY = "CANARY-7f3a"
FAX = OutgoingFax(key="act-1", documents=(FaxDocument.of("a.ps", b"%!PS\n"),), dial=DialParts("02112345678"))


class ScriptedHfaxd:
    """Answers each command line with ``script(line, data_port)``; ``None`` means: say nothing (hang)."""

    def __init__(self, script: Callable[[str, ScriptedHfaxd], bytes | None]):
        self.script, self.seen = script, []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.data = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.listing = b""
        self.ended = threading.Event()  # the control connection is over: ``seen`` is complete
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        conn.sendall(b"220 test server (HylaFAX (tm) Version 6.0.7) ready.\r\n")
        for raw in conn.makefile("rb"):
            line = raw.decode().rstrip("\r\n")
            self.seen.append(line)
            if line == "QUIT":
                break
            answer = self.script(line, self)
            if answer is not None:
                conn.sendall(answer)
            if line.startswith(("LIST", "RETR", "STOT")):
                data_conn, _ = self.data.accept()
                if line.startswith("STOT"):
                    while data_conn.recv(65536):
                        pass
                else:
                    data_conn.sendall(self.listing)
                data_conn.close()
                conn.sendall(b"226 Transfer complete (FILE: /tmp/doc1.ps).\r\n" if "STOT" in line else b"226 ok.\r\n")
        conn.close()
        self.ended.set()

    def pasv(self) -> bytes:
        port = self.data.getsockname()[1]
        return f"227 Entering passive mode (127,0,0,1,{port // 256},{port % 256})\r\n".encode()


def standard(overrides: dict[str, bytes | None]) -> Callable[[str, ScriptedHfaxd], bytes | None]:
    def script(line: str, server: ScriptedHfaxd) -> bytes | None:
        verb = line.split(" ")[0]
        for prefix, answer in overrides.items():
            if line.startswith(prefix):
                return answer
        return {
            "USER": b"331 Password required for bridge.\r\n",
            "PASS": b"230 User bridge logged in.\r\n",
            "PASV": server.pasv(),
            "STOT": b"150 FILE: /tmp/doc1.ps (Opening new data connection).\r\n",
            "LIST": b"150 Opening.\r\n",
            "JNEW": b"200 New job created: jobid: 5 groupid: 5.\r\n",
            "JPARM": b"213 set.\r\n" if not line.startswith("JPARM DOCUMENT") else b"200 Added.\r\n",
            "JSUBM": b"200 Job 5 submitted.\r\n",
        }.get(verb, b"200 OK.\r\n")

    return script


@pytest.fixture
def hfaxd() -> Iterator[Callable[..., tuple[HylaFaxServer, ScriptedHfaxd]]]:
    def make(**overrides: bytes | None) -> tuple[HylaFaxServer, ScriptedHfaxd]:
        fake = ScriptedHfaxd(standard(overrides))
        settings = HylaFaxSettings(
            host="127.0.0.1",
            port=fake.port,
            user="bridge",
            password=CANARY,
            connect_timeout_s=1,
            read_timeout_s=0.5,
        )
        return HylaFaxServer(settings), fake

    yield make


def test_submit_sends_the_parameters_in_order(hfaxd) -> None:
    server, fake = hfaxd()
    assert server.submit(FAX).job_id == "5"
    assert fake.ended.wait(5)
    jparms = [line for line in fake.seen if line.startswith("JPARM")]
    names = [line.split(" ")[1] for line in jparms]
    assert names.index("SENDTIME") < names.index("LASTTIME")
    assert 'JPARM DIALSTRING "02112345678"' in jparms and 'JPARM JOBINFO "act-1"' in jparms
    assert jparms[-1] == "JPARM DOCUMENT /tmp/doc1.ps" and fake.seen[-2:] == ["JSUBM", "QUIT"]


def test_lost_submit_reply_is_outcome_unknown(hfaxd) -> None:
    server, _ = hfaxd(JSUBM=None)
    with pytest.raises(OutcomeUnknownError):
        server.submit(FAX)


def test_a_hang_before_submit_is_not_sent(hfaxd) -> None:
    server, _ = hfaxd(JNEW=None)
    with pytest.raises(NotSentError):
        server.submit(FAX)


def test_refused_connection_is_not_sent() -> None:
    with socket.create_server(("127.0.0.1", 0)) as spare:
        port = spare.getsockname()[1]
    with pytest.raises(NotSentError):
        HylaFaxServer(HylaFaxSettings(host="127.0.0.1", port=port, user="u", connect_timeout_s=1)).check()


def test_bad_login_is_auth_error_and_the_canary_stays_hidden(hfaxd, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    server, _ = hfaxd(PASS=b"530 Login incorrect.\r\n")
    with pytest.raises(AuthError) as caught:
        server.check()
    assert CANARY not in str(caught.value) and CANARY not in caplog.text
    server, _ = hfaxd()
    server.submit(FAX)
    assert CANARY not in caplog.text and CANARY not in repr(server.settings)


@pytest.mark.parametrize(
    "override",
    [
        {"STOT": b"<html>proxy error</html>\r\n"},
        {"JNEW": b"<html>proxy error</html>\r\n"},
        {"JNEW": b"200 proxy error: no job number here.\r\n"},
        {"JPARM DIALSTRING": b"<html>proxy error</html>\r\n"},
        {"JPARM DOCUMENT": b"<html>proxy error</html>\r\n"},
    ],
)
def test_a_malformed_reply_before_submit_is_not_sent_not_a_hang(hfaxd, override) -> None:
    """docs/fax.md: anything that fails before ``JSUBM`` is written is "not sent"; the raw reply is kept."""
    server, fake = hfaxd(**override)
    with pytest.raises(NotSentError) as caught:
        server.submit(FAX)
    assert "JSUBM" not in fake.seen
    assert isinstance(caught.value.__cause__, BadReplyError) and "proxy error" in caught.value.__cause__.raw


def test_a_malformed_reply_after_submit_stays_a_bad_reply(hfaxd) -> None:
    server, _ = hfaxd(JSUBM=b"<html>proxy error</html>\r\n")
    with pytest.raises(BadReplyError) as caught:
        server.submit(FAX)
    assert "proxy error" in caught.value.raw


def test_submit_refusal_is_rejected(hfaxd) -> None:
    server, _ = hfaxd(JSUBM=b"504 Cannot submit job 5; null or missing DIALSTRING parameter.\r\n")
    with pytest.raises(RejectedError, match="missing DIALSTRING"):
        server.submit(FAX)


def test_a_malformed_listing_line_is_skipped_and_the_rest_go_on(hfaxd, caplog) -> None:
    server, fake = hfaxd()
    fake.listing = b"garbage line\r\n7\tW\tact-1\t0\t12\t0\t3\t0\t0\t0\t\r\n"
    assert [job.job_id for job in server.find_by_key("act-1")] == ["7", "7"]  # sendq and doneq both served it
    assert "garbage line" in caplog.text or "skipped" in caplog.text


def test_quotes_in_values_are_refused(hfaxd) -> None:
    server, _ = hfaxd()
    with pytest.raises(RejectedError, match="cannot take"):
        server.submit(OutgoingFax(key='a"b', documents=FAX.documents, dial=FAX.dial))
