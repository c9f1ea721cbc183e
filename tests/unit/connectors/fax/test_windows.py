"""The Windows Fax connector against a fake FaxComEx with the documented shape: submit, status, receive, errors."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from connectors.errors import AuthError, NotSentError, OutcomeUnknownError, RejectedError, UnavailableError
from connectors.fax.windows import WindowsFaxServer, WindowsFaxSettings
from connectors.fax.windows.com import ExtendedStatus, JobStatus, Priority, ScheduleType
from domain.fax import DialParts, FailureReason, FaxDocument, FaxJobState, OutgoingFax
from tests.unit.connectors.fax.fake_faxcomex import FakeComError, FakeFaxService, FaxSender, com_error

CANARY = "CANARY-7f3a"
TIFF = b"II*\x00" + b"\x00" * 60
FAX = OutgoingFax(
    key="act-1",
    documents=(FaxDocument.of("a.tif", TIFF),),
    dial=DialParts("02112345678", prefix="9", extension="123", extension_wait_s=8),
    recipient_name="Dr Rahimi",
    sender_name="Sales",
    sending_number="+982188888888",
    header="ACME Ltd",
)


@pytest.fixture
def service() -> FakeFaxService:
    return FakeFaxService()


@pytest.fixture
def server(service, tmp_path) -> WindowsFaxServer:
    settings = WindowsFaxSettings(server_name="FAXSRV", staging_dir=tmp_path, server_timezone="Asia/Tehran")
    return WindowsFaxServer(settings, binding=service.binding())


def test_imports_on_linux_without_pywin32() -> None:
    code = (
        "import sys, connectors.fax.windows; assert 'win32com' not in sys.modules and 'pywintypes' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_pywin32_a_connect_is_not_sent(tmp_path) -> None:
    with pytest.raises(NotSentError, match="pywin32"):
        WindowsFaxServer(WindowsFaxSettings(staging_dir=tmp_path)).check()


def test_check_names_the_server_and_disconnects(server, service) -> None:
    assert server.check() == "Windows Fax Server FAXSRV 10.0.20348.1"
    assert service.disconnects == 1


def test_submit_sets_the_documented_properties(server, service, tmp_path) -> None:
    receipt = server.submit(FAX)
    (taken,) = service.submitted
    doc = taken.document
    assert taken.body == TIFF and taken.body_suffix == ".tif"
    assert [(r.FaxNumber, r.Name) for r in taken.recipients] == [("902112345678,,,,123", "Dr Rahimi")]
    assert doc.DocumentName == "act-1" and doc.Priority == Priority.NORMAL and doc.ScheduleType == ScheduleType.NOW
    assert (doc.Sender.Name, doc.Sender.FaxNumber, doc.Sender.TSID, doc.Sender.Company) == (
        "Sales",
        "+982188888888",
        "+982188888888",
        "ACME Ltd",
    )
    assert receipt.job_id in service.queue
    assert list(tmp_path.iterdir()) == []  # the staged body is removed
    assert service.disconnects == 1


def test_scheduled_send_goes_as_naive_utc(server, service) -> None:
    when = datetime(2030, 1, 2, 10, 30, tzinfo=UTC)
    server.submit(OutgoingFax(key="k", documents=FAX.documents, dial=FAX.dial, send_after=when))
    doc = service.submitted[0].document
    assert doc.ScheduleType == ScheduleType.SPECIFIC_TIME and doc.ScheduleTime == datetime(2030, 1, 2, 10, 30)


def test_the_fake_refuses_undocumented_properties() -> None:
    with pytest.raises(AttributeError):
        FaxSender().CompanyName = "x"


@pytest.mark.parametrize(
    "documents",
    [(FaxDocument.of("a.tif", TIFF), FaxDocument.of("b.tif", TIFF)), (FaxDocument.of("a.ps", b"%!PS\n"),)],
)
def test_unsupported_documents_are_refused_before_any_com_call(server, service, documents) -> None:
    with pytest.raises(RejectedError) as caught:
        server.submit(OutgoingFax(key="k", documents=documents, dial=FAX.dial))
    assert caught.value.code == "unsupported" and service.submitted == [] and service.disconnects == 0


@pytest.mark.parametrize(
    "failure, expected",
    [
        (com_error(0x800706BA, "The RPC server is unavailable."), NotSentError),
        (com_error(0x80070005, "Access is denied."), AuthError),
        (com_error(0x80041B59, "out of memory"), UnavailableError),
    ],
)
def test_connect_failures(server, service, failure, expected) -> None:
    service.failures["Connect"] = failure
    with pytest.raises(expected) as caught:
        server.submit(FAX)
    assert isinstance(caught.value.__cause__, FakeComError)
    assert service.submitted == []


@pytest.mark.parametrize(
    "failure, expected",
    [
        (com_error(0x800706BE, "The remote procedure call failed."), OutcomeUnknownError),
        (com_error(0x80004005, "Unspecified error"), OutcomeUnknownError),
        (com_error(0x800706BF, "The remote procedure call failed and did not execute."), NotSentError),
        (com_error(0x80070057, "The parameter is incorrect.", via_dispatch=False), RejectedError),
        (com_error(0x80070005, "Access is denied."), AuthError),
    ],
)
def test_connected_submit_failures_say_whether_the_job_may_exist(server, service, failure, expected) -> None:
    service.failures["ConnectedSubmit"] = failure
    with pytest.raises(expected) as caught:
        server.submit(FAX)
    assert caught.value.key == "act-1" and caught.value.operation == "submit"


def test_a_failure_while_composing_is_never_outcome_unknown(server, service) -> None:
    service.failures["Dispatch"] = com_error(0x80004005, "Unspecified error")
    with pytest.raises(NotSentError):  # FaxServer itself could not be created: connect phase
        server.submit(FAX)


@pytest.mark.parametrize("returned", [(), ("a", "b"), (None,), 42])
def test_an_unusable_submit_result_leaves_the_outcome_unknown(server, service, returned) -> None:
    service.submit_returns = returned
    with pytest.raises(OutcomeUnknownError, match="look the job up by key"):
        server.submit(FAX)


def test_find_by_key_reads_document_name_in_queue_and_archive(server, service) -> None:
    service.add_job("j1", DocumentName="act-1")
    service.add_job("j2", DocumentName="other")
    service.add_sent("m9", DocumentName="act-1")
    assert {(s.job_id, s.state) for s in server.find_by_key("act-1")} == {
        ("j1", FaxJobState.PENDING),
        ("m9", FaxJobState.DONE),
    }


@pytest.mark.parametrize(
    "status, code, text, state, reason",
    [
        (JobStatus.PENDING, 0, "", FaxJobState.PENDING, FailureReason.NONE),
        (JobStatus.PENDING | JobStatus.PAUSED, 0, "", FaxJobState.SUSPENDED, FailureReason.NONE),
        (JobStatus.PENDING | JobStatus.NOLINE, 0, "", FaxJobState.READY, FailureReason.NONE),
        (JobStatus.INPROGRESS, ExtendedStatus.DIALING, "", FaxJobState.SENDING, FailureReason.NONE),
        (JobStatus.RETRYING, ExtendedStatus.BUSY, "", FaxJobState.SLEEPING, FailureReason.BUSY),
        (JobStatus.RETRYING, ExtendedStatus.NO_ANSWER, "", FaxJobState.SLEEPING, FailureReason.NO_ANSWER),
        (
            JobStatus.RETRIES_EXCEEDED,
            ExtendedStatus.BAD_ADDRESS,
            "",
            FaxJobState.FAILED,
            FailureReason.BAD_NUMBER,
        ),
        (JobStatus.FAILED, ExtendedStatus.NO_DIAL_TONE, "", FaxJobState.FAILED, FailureReason.NO_DIAL_TONE),
        (JobStatus.FAILED, ExtendedStatus.NOT_FAX_CALL, "", FaxJobState.FAILED, FailureReason.PROTOCOL),
        (JobStatus.FAILED, 0x1000001, "Line dropped (vendor)", FaxJobState.FAILED, FailureReason.OTHER),
        (JobStatus.CANCELED, 0, "", FaxJobState.CANCELLED, FailureReason.CANCELLED),
        (JobStatus.COMPLETED, ExtendedStatus.CALL_COMPLETED, "", FaxJobState.DONE, FailureReason.NONE),
        (0x4000, 0, "", FaxJobState.UNKNOWN, FailureReason.NONE),
    ],
)
def test_status_maps_the_enums(server, service, status, code, text, state, reason) -> None:
    service.add_job(
        "j1", Status=int(status), ExtendedStatusCode=int(code), ExtendedStatus=text, CurrentPage=1, Retries=2
    )
    (job,) = server.status(["j1"])
    assert (job.state, job.reason, job.pages_sent, job.pages_total, job.tries) == (state, reason, 1, 2, 2)
    if text:
        assert job.status_text == text


def test_status_text_names_the_extended_status(server, service) -> None:
    service.add_job("j1", Status=int(JobStatus.RETRYING), ExtendedStatusCode=int(ExtendedStatus.BUSY))
    assert server.status(["j1"])[0].status_text == "fjesBUSY"


def test_status_falls_back_to_the_archive_and_drops_unknown_ids(server, service) -> None:
    service.add_sent("m1", Pages=4, OriginalScheduledTime=datetime(2030, 1, 2, 14, 0))
    (done,) = server.status(["m1", "nope"])
    assert done.state is FaxJobState.DONE and done.pages_sent == 4
    assert done.send_at == datetime(2030, 1, 2, 10, 30, tzinfo=UTC)  # 14:00 in Tehran (+03:30)


def test_status_read_failure_is_unavailable(server, service) -> None:
    service.failures["GetJob"] = com_error(0x800706BE, "The remote procedure call failed.")
    with pytest.raises(UnavailableError):
        server.status(["j1"])


def test_cancel(server, service) -> None:
    service.add_job("j1", Status=int(JobStatus.PENDING))
    server.cancel("j1")
    assert server.status(["j1"])[0].state is FaxJobState.CANCELLED
    with pytest.raises(RejectedError):
        server.cancel("j1")  # already cancelled: the server refuses
    with pytest.raises(RejectedError):
        server.cancel("unknown")


def test_received_faxes_are_listed_fetched_and_marked(server, service) -> None:
    service.add_incoming(
        "r2",
        b"II*\x00two",
        TSID=" ACME ",
        CallerId="02188888888",
        Pages=3,
        TransmissionEnd=datetime(2030, 1, 2, 9, 0),
    )
    service.add_incoming("r1", b"II*\x00one", TransmissionEnd=datetime(2030, 1, 1, 9, 0))
    listed = server.list_received()
    assert [f.server_id for f in listed] == ["r1", "r2"]
    assert (listed[1].sender_tsi, listed[1].caller_number, listed[1].pages) == ("ACME", "02188888888", 3)
    assert listed[1].received_at == datetime(2030, 1, 2, 5, 30, tzinfo=UTC)
    assert server.fetch_received("r2") == b"II*\x00two"
    server.mark_processed("r1")
    assert [f.server_id for f in server.list_received()] == ["r2"]
    assert "r1" in service.incoming  # kept on the server unless delete_processed


def test_delete_processed_deletes_from_the_archive(service, tmp_path) -> None:
    settings = WindowsFaxSettings(staging_dir=tmp_path, delete_processed=True)
    server = WindowsFaxServer(settings, binding=service.binding())
    service.add_incoming("r1", b"II*\x00one")
    server.mark_processed("r1")
    assert service.incoming == {}
    with pytest.raises(RejectedError):
        server.fetch_received("r1")


def test_canary_stays_out_of_logs_and_errors(server, service, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    secret = OutgoingFax(key="k", documents=FAX.documents, dial=FAX.dial, header=CANARY, sender_name=CANARY)
    server.submit(secret)
    service.failures["ConnectedSubmit"] = com_error(0x800706BE, "The remote procedure call failed.")
    with pytest.raises(OutcomeUnknownError) as caught:
        server.submit(secret)
    assert CANARY not in caplog.text and CANARY not in str(caught.value) and CANARY not in repr(server.settings)
