"""The HylaFAX connector against a real hylafax-server 6.0.7 (FAX-02, -05, -06, -07, -11, -14, -16)."""

from __future__ import annotations

import os
import pwd
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.errors import AuthError, RejectedError
from connectors.fax.hylafax import HylaFaxServer
from connectors.fax.hylafax.session import opened
from domain.fax import DialParts, FailureReason, FaxDocument, FaxJobState, OutgoingFax, RetryPolicy
from emulator.fax_tiff import received_fax_tiff

POSTSCRIPT = b"%!PS-Adobe-3.0\n/Helvetica findfont 24 scalefont setfont 72 700 moveto (CommSuite) show showpage\n"
PDF = (  # one blank page, hand-made; xref offsets are not checked by ghostscript
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _fax(key: str, doc: FaxDocument, **kwargs) -> OutgoingFax:
    dial = DialParts("02112345678", prefix="9", extension="123", extension_wait_s=8)
    return OutgoingFax(key=key, documents=(doc,), dial=dial, **kwargs)


def _job_parameters(job_id: str) -> dict[str, str]:
    with opened("localhost", 4559, "bridge", None, connect_timeout_s=5, read_timeout_s=20) as session:
        session.command(f"JOB {job_id}", "test")
        reply = session.command("JPARM", "test")
    pairs = (line.partition(":") for line in reply.lines[1:-1])
    return {name.strip(): value.strip() for name, _, value in pairs}


def test_check_names_the_server(server: HylaFaxServer) -> None:
    assert "HylaFAX (tm) Version" in server.check()


@pytest.mark.parametrize(
    "doc",
    [
        FaxDocument.of("letter.ps", POSTSCRIPT),
        FaxDocument.of("letter.pdf", PDF),
        FaxDocument.of("page.tif", received_fax_tiff("", "", "", pages=1)),
    ],
    ids=["postscript", "pdf", "tiff"],
)
def test_submitted_job_waits_for_a_modem(server: HylaFaxServer, doc: FaxDocument) -> None:
    key = f"act-{uuid.uuid4()}"
    receipt = server.submit(_fax(key, doc, header="ACME Ltd", retry=RetryPolicy(max_dials=5, interval_s=600)))
    [status] = server.status([receipt.job_id])
    assert status.key == key
    # no modem: the job waits for one (W), or behind an earlier job to the same number (B)
    assert status.state in (FaxJobState.READY, FaxJobState.BLOCKED), status
    assert status.reason is FailureReason.NONE
    assert status.max_dials == 5
    params = _job_parameters(receipt.job_id)
    assert params["DIALSTRING"] == "902112345678,,,,123"  # FAX-07 / FAX-25 reach the server as built
    assert params["TAGLINE"].startswith("ACME Ltd|") and params["USETAGLINE"] == "YES"  # FAX-14
    assert params["RETRYTIME"] == "1000"
    server.cancel(receipt.job_id)


def test_send_time_and_give_up_time_are_kept(server: HylaFaxServer) -> None:
    send_at = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
    fax = _fax(
        f"act-{uuid.uuid4()}",
        FaxDocument.of("a.ps", POSTSCRIPT),
        send_after=send_at,
        give_up_at=send_at + timedelta(days=1, hours=2),
    )
    receipt = server.submit(fax)
    [status] = server.status([receipt.job_id])
    assert status.state is FaxJobState.PENDING
    assert status.send_at == send_at
    params = _job_parameters(receipt.job_id)
    assert params["SENDTIME"] == send_at.strftime("%Y%m%d%H%M00")
    assert params["LASTTIME"] == "010200"
    server.cancel(receipt.job_id)


def test_cancel_moves_the_job_to_done_as_cancelled(server: HylaFaxServer) -> None:
    key = f"act-{uuid.uuid4()}"
    receipt = server.submit(_fax(key, FaxDocument.of("a.ps", POSTSCRIPT)))
    server.cancel(receipt.job_id)
    [status] = server.find_by_key(key)
    assert (status.state, status.reason, status.status_text) == (
        FaxJobState.CANCELLED,
        FailureReason.CANCELLED,
        "Job aborted by request",
    )
    with pytest.raises(RejectedError, match="already done"):
        server.cancel(receipt.job_id)
    with pytest.raises(RejectedError, match="does not exist"):
        server.cancel("999999")


def test_unknown_jobs_are_absent(server: HylaFaxServer) -> None:
    assert server.status(["999999"]) == []
    assert server.find_by_key("no-such-key") == []


def _place_received(spool: Path, name: str, data: bytes, mode: int) -> Path:
    path = spool / "recvq" / name
    path.write_bytes(data)
    uucp = pwd.getpwnam("uucp")
    os.chown(path, uucp.pw_uid, uucp.pw_gid)
    path.chmod(mode)
    return path


def test_received_fax_is_listed_fetched_and_marked(server: HylaFaxServer, hylafax: Path) -> None:
    data = received_fax_tiff("ACME FAX", "+982188888888", "ACME Ltd", pages=2)
    name = f"fax{uuid.uuid4().int % 10**9:09d}.tif"
    path = _place_received(hylafax, name, data, 0o644)
    hidden = _place_received(hylafax, "fax" + name[3:-4][::-1] + ".tif", data, 0o600)
    try:
        listed = {fax.server_id: fax for fax in server.list_received()}
        assert hidden.name not in listed  # faxgetty's default RecvFileMode 0600 hides it from users
        fax = listed[name]
        assert (fax.sender_tsi, fax.caller_number, fax.caller_name, fax.pages) == (
            "ACME FAX",
            "+982188888888",
            "ACME Ltd",
            2,
        )
        assert fax.is_complete and fax.received_at is not None
        assert server.fetch_received(name) == data
        server.mark_processed(name)
        assert name not in {f.server_id for f in server.list_received()}
        with pytest.raises(RejectedError):
            server.fetch_received("../etc/passwd")
    finally:
        path.unlink()
        hidden.unlink()


def test_a_missing_received_fax_is_refused(server: HylaFaxServer) -> None:
    with pytest.raises(RejectedError, match="No such file"):
        server.fetch_received("fax999999999.tif")


def test_wrong_admin_password_is_an_auth_error(hylafax: Path) -> None:
    with (
        pytest.raises(AuthError),
        opened("localhost", 4559, "bridge", None, admin_password="wrong", connect_timeout_s=5, read_timeout_s=20),
    ):
        pass
