"""Inbound SMS and keyword actions (SMS-02, -07, -16, -21): polling, webhooks, rules, keyword services."""

from services.sms.inbound.keyword_services import KeywordService, KeywordServiceRegistry, RecordColumnService
from services.sms.inbound.service import InboundReport, InboundService

__all__ = [
    "InboundReport",
    "InboundService",
    "KeywordService",
    "KeywordServiceRegistry",
    "RecordColumnService",
]
