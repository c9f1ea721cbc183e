"""The console's settings (CALL-03, -09, -30, -31, -34): where it listens, who may sign in, who supervises.

One validated model, meant to be nested in the bridge's local settings file
(``console:`` section). Users sign in with a per-user token configured here;
the token is a :class:`~connectors.settings.Secret` and never logged.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bridge.runtime.listen import is_loopback
from connectors.settings import Secret


class ConsoleUser(BaseModel):
    """One person who may open the console: their Dynamics user id, display name and sign-in token."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    user_id: str = Field(min_length=1, description="Dynamics systemuserid (matches extension rows and owners)")
    name: str = ""
    token: Secret

    @field_validator("token")
    @classmethod
    def _long_enough(cls, token: Secret) -> Secret:
        if len(token.reveal()) < 16:
            raise ValueError("a console token must be at least 16 characters")
        return token

    @field_validator("user_id")
    @classmethod
    def _lower(cls, user_id: str) -> str:
        return user_id.strip().lower()


class ConsoleSettings(BaseModel):
    """Where the console listens and who may use it.

    ``org_url`` is the Dynamics 365 address (``https://contoso.crm4.dynamics.com``)
    pop-up links open. ``public_origin`` is the address browsers use when the
    console sits behind an HTTPS reverse proxy (needed for the CIF widget);
    it is then an allowed ``Origin`` for POSTs and cookies are marked
    ``Secure; SameSite=None``. ``supervisors`` are user ids allowed to listen,
    whisper and dial from any extension. ``trust_host_user_id`` lets a browser
    sign in by naming its Dynamics user id alone: only safe when the reverse
    proxy authenticates every request. ``administrators`` are user ids allowed the
    diagnostics (connection tests, AMI console, test call, raw output; CALL-39),
    of which supervisors get all but the AMI console. ``open_call_form`` opens the phone-call
    form for the agent when a call connects at their extension (CALL-36).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    allow_remote: bool = False
    org_url: str = ""
    public_origin: str = ""
    users: tuple[ConsoleUser, ...] = ()
    supervisors: frozenset[str] = frozenset()
    administrators: frozenset[str] = frozenset()
    trust_host_user_id: bool = False
    open_call_form: bool = False
    language: str = Field(default="fa", pattern="^(fa|en)$")
    history_size: int = Field(default=200, ge=1, le=10_000)
    subscriber_queue_size: int = Field(default=256, ge=8, le=10_000)
    max_subscribers: int = Field(default=200, ge=1, le=10_000)
    max_body_bytes: int = Field(default=16_384, ge=256, le=1_048_576)
    card_ttl_s: float = Field(default=30.0, ge=0, le=3600)
    session_idle_s: float = Field(default=12 * 3600, ge=60)
    command_timeout_s: float = Field(default=15.0, gt=0, le=120)

    @field_validator("org_url", "public_origin")
    @classmethod
    def _https_origin(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.netloc or parts.path or parts.query:
            raise ValueError(f"must be a bare origin like https://host, got {value!r}")
        return value

    @field_validator("supervisors", "administrators")
    @classmethod
    def _lower_ids(cls, ids: frozenset[str]) -> frozenset[str]:
        return frozenset(i.strip().lower() for i in ids)

    @model_validator(mode="after")
    def _checked(self) -> ConsoleSettings:
        if not self.allow_remote and not is_loopback(self.host):
            raise ValueError(
                f"console host {self.host!r} is not a loopback address; put a reverse proxy in front "
                "or set allow_remote: true deliberately"
            )
        ids = [u.user_id for u in self.users]
        if len(set(ids)) != len(ids):
            raise ValueError("each console user id may appear once")
        tokens = [u.token.reveal() for u in self.users]
        if len(set(tokens)) != len(tokens):
            raise ValueError("two console users share a token")
        return self

    def user_by_id(self, user_id: str) -> ConsoleUser | None:
        wanted = user_id.strip().lower()
        return next((u for u in self.users if u.user_id == wanted), None)
