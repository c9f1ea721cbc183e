"""One line of ``commsuite bridge check``: passed, failed, a warning, or not configured."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    """One check: ``ok`` or not, and a sentence saying what was found or what to do.

    A ``warning`` passes (the exit code stays 0) but prints ``WARN``: something
    works, yet calls will be logged worse than they could be.
    """

    name: str
    ok: bool
    detail: str
    is_configured: bool = True
    warning: bool = False

    def line(self) -> str:
        if self.ok and self.warning:
            word = "WARN"
        else:
            word = "OK  " if self.ok and self.is_configured else ("--  " if self.ok else "FAIL")
        return f"{word} {self.name}: {self.detail}"
