"""Asking a PBX connector to place a click-to-call or a supervisor's listen / whisper, once (CALL-29, -31).

Every command here is sent exactly once and its answer classified as an
:class:`~domain.calls.click_to_call.OriginateOutcome`: a phone may already be
ringing after an unconfirmed Originate, so nothing is ever retried.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass

from connectors.errors import (
    AuthError,
    ConnectorError,
    NotSentError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from connectors.pbx.base import OriginateResult, PbxConnector
from domain.calls.click_to_call import DEFAULT_CONTEXT, DialPlan, OriginateOutcome, Refusal, outcome_update, plan_spy
from domain.calls.system_settings import TelephonySystemSettings

NO_LINK_ERROR = "the bridge has no working link to this telephony system; ask an administrator"


def action_id_for(request_id: str) -> str:
    """The Originate's ActionID for a request: stable, so the CDR and the PBX logs name the request."""
    return f"c2c-{request_id}"


async def originate_once(
    connector: PbxConnector, plan: DialPlan, action_id: str, timeout_s: float, *, named_channel: bool = False
) -> tuple[OriginateOutcome, str | None, OriginateResult | None]:
    """Send the Originate once and say what became of it (with the PBX's refusal in words, and the PBX's
    reply naming the call's first channel when it was placed).

    ``named_channel``: the extension's CRM row names its device, so the full
    ``plan.channel`` is passed (``channel=``) to a connector that takes one,
    with the extension's number; otherwise the connector builds the device
    from technology and the device part of the plan's channel.
    """
    accepted = inspect.signature(connector.originate).parameters
    options = [("technology", plan.technology), ("context", plan.context)]
    if named_channel:
        options.append(("channel", plan.channel))
    extra = {name: value for name, value in options if name in accepted}
    ringing = plan.extension if named_channel else plan.device
    return await sent_once(
        connector.originate(
            ringing,
            plan.dial_string,
            caller_id=plan.caller_id,
            variables=dict(plan.variables),
            timeout_s=timeout_s,
            action_id=action_id,
            **extra,
        )
    )


async def sent_once(command: Awaitable[OriginateResult]) -> tuple[OriginateOutcome, str | None, OriginateResult | None]:
    """Await one Originate or spy and classify the connector's answer; never retried."""
    try:
        result = await command
    except AuthError:
        return OriginateOutcome.NOT_PERMITTED, None, None
    except RejectedError as exc:
        return OriginateOutcome.REFUSED, exc.reason, None
    except (NotSentError, UnavailableError, RateLimitedError):
        return OriginateOutcome.NOT_SENT, None, None
    except ConnectorError:  # OutcomeUnknownError, BadReplyError: a phone may be ringing
        return OriginateOutcome.UNCONFIRMED, None, None
    return OriginateOutcome.PLACED, None, result


def dialling_defaults(connector: PbxConnector | None, system: TelephonySystemSettings | None = None) -> tuple[str, str]:
    """The channel technology and the dialplan context to originate in (CALL-40).

    Technology: the connector's settings (AMI), else PJSIP. Context: the
    system's CRM row (*Originate Context*) when set, else the connector's
    ``[systems.<key>.ami] context``, else ``from-internal``.
    """
    settings = getattr(connector, "settings", None)
    technology = getattr(getattr(settings, "technology", None), "value", None) or "PJSIP"
    context = (system.originate_context if system else "") or getattr(settings, "context", None) or DEFAULT_CONTEXT
    return str(technology), str(context)


@dataclass(frozen=True)
class SpyOutcome:
    """What the console shows after a listen / whisper request (CALL-31)."""

    placed: bool
    reason: str = ""
    result: OriginateResult | None = None


async def spy(
    *,
    supervisor_user_id: str,
    target: str,
    system: TelephonySystemSettings,
    connector: PbxConnector | None,
    may_supervise: bool,
    whisper: bool = False,
) -> SpyOutcome:
    """Ring the supervisor's extension, then listen to (or whisper into) ``target``'s call (CALL-31).

    ``target`` is an extension number or a live channel; ``may_supervise`` is
    the console's check of the user's CRM role. Sent once; never raises for a
    refusal or a PBX error: the outcome says why in plain words.
    """
    technology, _ = dialling_defaults(connector)
    plan = plan_spy(
        supervisor_user_id, target, system, may_supervise=may_supervise, whisper=whisper, technology=technology
    )
    if isinstance(plan, Refusal):
        return SpyOutcome(False, plan.reason)
    if connector is None:
        return SpyOutcome(False, NO_LINK_ERROR)
    outcome, reason, result = await sent_once(
        connector.spy(plan.extension, plan.target_channel, whisper=whisper, action_id=f"spy-{uuid.uuid4().hex}")
    )
    if outcome is not OriginateOutcome.PLACED:
        return SpyOutcome(False, outcome_update(outcome, reason).error or "")
    return SpyOutcome(True, result=result)
