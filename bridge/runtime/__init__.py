"""The daemon itself: supervision, one worker per telephony system, health and metrics, checks, logging."""
