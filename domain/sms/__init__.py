"""SMS vocabulary shared by providers, the sender and the webhooks (SMS-13, -18, -20).

The value types every provider connector exchanges (``messages``) and the
GSM-7 / UCS-2 segment counter (``segments``).
"""

from domain.sms.messages import (
    Credit,
    DeliveryReport,
    DeliveryStatus,
    InboundSms,
    OutgoingSms,
    SendReceipt,
)
from domain.sms.segments import Encoding, SegmentCount, count_segments

__all__ = [
    "Credit",
    "DeliveryReport",
    "DeliveryStatus",
    "Encoding",
    "InboundSms",
    "OutgoingSms",
    "SegmentCount",
    "SendReceipt",
    "count_segments",
]
