"""The call listeners: what the bridge does with each call update (activities, notices, auto-registration,
open calls kept across restarts)."""
