"""SMS sending, delivery tracking, credit and the sweep, for the Functions blueprints (SMS-01..23).

Thin services over ``domain.sms`` and ``connectors.sms``; see docs/sms.md.
"""

from functions.sms.push import PushedRecord, PushError, parse_remote_context
from functions.sms.runtime import SmsRuntime, build_sms_runtime
from functions.sms.sender import SendOutcome, SendResult, SmsSender, attempt_key

__all__ = ["PushError", "PushedRecord", "SendOutcome", "SendResult", "SmsRuntime", "SmsSender", "attempt_key",
           "build_sms_runtime", "parse_remote_context"]
