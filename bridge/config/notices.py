"""``[notices]`` of ``bridge.toml``: what a missed-call or waiting-call notice is written as (CALL-05, issue 14).

``kind`` is ``"appnotification"`` (Dataverse online's in-app notification), ``"task"`` (a task
assigned to the user), ``"post"`` (a post on the caller's record) or ``"email"`` (an e-mail
activity to the user). Left out, each environment gets ``appnotification`` when its server
has the table and ``task`` when it does not (on-premises 8.x and 9.x); see docs/telephony.md.
``email`` is ``"send"`` (the default: the e-mail is sent with ``SendEmail`` once written,
:mod:`bridge.calls.notice_mail`) or ``"draft"`` (left as a draft for the user).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from bridge.calls.notice_kinds import NoticeKind
from bridge.config.refs import describe_validation, type_name


class NoticesSection(BaseModel):
    """``[notices]``: ``kind`` is None when the server's version decides."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: NoticeKind | None = None
    #: What becomes of an e-mail notice once written: sent (``SendEmail``) or left as a draft.
    email: Literal["send", "draft"] = "send"
    #: Seconds between two rounds of sending the e-mail notices written since.
    email_send_interval_s: float = 30.0


def notices_section(raw: object, problems: list[str]) -> NoticesSection:
    """``[notices]``: the default when absent; problems named by their key path."""
    if raw is None:
        return NoticesSection()
    if not isinstance(raw, dict):
        problems.append(f"notices: expected a table, got {type_name(raw)}")
        return NoticesSection()
    try:
        return NoticesSection.model_validate(raw)
    except ValidationError as exc:
        problems.extend(describe_validation(exc, "notices", allowed=tuple(NoticesSection.model_fields)))
        return NoticesSection()
