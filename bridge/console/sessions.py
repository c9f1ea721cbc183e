"""Console sign-in: who a browser is, its session cookie and its CSRF token (CALL-34).

A browser signs in once with its user's token (configured in the bridge's
local file), or, when the console sits behind an authenticating proxy and
``trust_host_user_id`` is set, with the Dynamics user id the CIF host gives
it. It gets an HttpOnly session cookie plus a CSRF token it must echo in an
``X-CSRF-Token`` header on every POST.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bridge.console.settings import ConsoleSettings
from bridge.console.visibility import Viewer

COOKIE_NAME = "commsuite_console"
MAX_SESSIONS = 1000


@dataclass
class Session:
    sid: str
    csrf: str
    viewer: Viewer
    last_seen: datetime


class Sessions:
    """In-memory sessions (a bridge restart signs everyone out, which is fine for a console)."""

    def __init__(self, settings: ConsoleSettings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._settings = settings
        self._clock = clock
        self._by_id: dict[str, Session] = {}

    def sign_in(self, *, token: str = "", user_id: str = "") -> Session | None:
        """A new session for the user owning ``token`` (or ``user_id`` when trusted); ``None`` if refused."""
        user = None
        if token:
            for candidate in self._settings.users:
                if hmac.compare_digest(candidate.token.reveal().encode(), token.encode()):
                    user = candidate
        elif user_id and self._settings.trust_host_user_id:
            user = self._settings.user_by_id(user_id)
        if user is None:
            return None
        viewer = Viewer(
            user.user_id,
            user.name,
            user.user_id in self._settings.supervisors,
            is_admin=user.user_id in self._settings.administrators,
        )
        if len(self._by_id) >= MAX_SESSIONS:
            oldest = min(self._by_id.values(), key=lambda s: s.last_seen)
            del self._by_id[oldest.sid]
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), viewer, self._clock())
        self._by_id[session.sid] = session
        return session

    def get(self, sid: str | None) -> Session | None:
        """The live session for cookie value ``sid``, refreshing its idle timer."""
        session = self._by_id.get(sid or "")
        if session is None:
            return None
        now = self._clock()
        if (now - session.last_seen).total_seconds() > self._settings.session_idle_s:
            del self._by_id[session.sid]
            return None
        session.last_seen = now
        return session

    def sign_out(self, sid: str) -> None:
        self._by_id.pop(sid, None)

    def cookie(self, session: Session | None) -> str:
        """The ``Set-Cookie`` value for ``session`` (``None`` clears it)."""
        value, age = (session.sid, int(self._settings.session_idle_s)) if session else ("", 0)
        secure = self._settings.public_origin.startswith("https://")
        site = "SameSite=None; Secure" if secure else "SameSite=Strict"
        return f"{COOKIE_NAME}={value}; Path=/; HttpOnly; {site}; Max-Age={age}"


def is_valid_csrf(session: Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf.encode(), (presented or "").encode())
