"""``[notices] kind`` and the per-environment default: in-app notifications online, tasks on-premises (issue 14)."""

from __future__ import annotations

import pytest

from bridge.calls.notice_kinds import NoticeKind, NoticeKindResolver
from bridge.config.model import ConfigError
from dataverse_schema.versions import features_for

from .test_config_parts import parse


def test_no_notices_table_lets_the_server_decide() -> None:
    assert parse("").notices.kind is None


@pytest.mark.parametrize("kind", ["appnotification", "task", "post", "email"])
def test_each_kind_can_be_chosen(kind: str) -> None:
    assert parse(f'[notices]\nkind = "{kind}"\n').notices.kind is NoticeKind(kind)


def test_an_unknown_kind_or_key_is_named() -> None:
    with pytest.raises(ConfigError) as error:
        parse('[notices]\nkind = "sms"\nsend = true\n')
    text = str(error.value)
    assert "notices.kind" in text and "notices.send" in text


def test_the_server_version_decides_once_per_environment() -> None:
    reads: list[str] = []

    def reader(version: str):
        def read():
            reads.append(version)
            return features_for(version)

        return read

    resolve = NoticeKindResolver(
        None, {"online": reader("9.2.24054.190"), "onprem": reader("9.1.0.17154"), "crm2016": reader("8.2.2.112")}
    )
    assert [resolve("online"), resolve("onprem"), resolve("crm2016")] == [
        NoticeKind.APPNOTIFICATION,
        NoticeKind.TASK,
        NoticeKind.TASK,
    ]
    resolve("onprem")
    assert reads == ["9.2.24054.190", "9.1.0.17154", "8.2.2.112"]


def test_an_unreadable_version_gives_a_task_and_is_read_again() -> None:
    attempts = []

    def read():
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("down")
        return features_for("9.2.0.0")

    resolve = NoticeKindResolver(None, {"prod": read})
    assert resolve("prod") is NoticeKind.TASK
    assert resolve("prod") is NoticeKind.APPNOTIFICATION


def test_a_configured_kind_wins_without_reading_the_version() -> None:
    def never():
        raise AssertionError("the version must not be read")

    assert NoticeKindResolver(NoticeKind.EMAIL, {"prod": never})("prod") is NoticeKind.EMAIL


def test_email_notices_are_sent_unless_left_as_drafts() -> None:
    assert parse('[notices]\nkind = "email"\n').notices.email == "send"
    assert parse('[notices]\nkind = "email"\nemail = "draft"\n').notices.email == "draft"
    with pytest.raises(ConfigError, match="notices.email"):
        parse('[notices]\nkind = "email"\nemail = "later"\n')
