"""Deployment profiles: which Dynamics the emulator plays, and what that version refuses.

A profile names a server version, the Web API roots it answers on, how it signs users in
and, on-premises, the Windows test accounts it knows. What the version can do comes from
the same feature-by-version table the client reads (:mod:`dataverse_schema.versions`), so
the emulator and the client cannot disagree about a version.

``online`` is Dataverse online (9.2, bearer tokens). ``onprem-9.1`` and ``onprem-9.0`` are
Dynamics 365 Customer Engagement on-premises, ``onprem-8.2`` is Dynamics 365 (on-premises)
8.2, the December 2016 update, and ``crm-2016`` is Dynamics CRM 2016 Service Pack 1 (8.1):
all four answer as IIS with Windows integrated authentication does. ``onprem-9.1-adfs`` is
9.1 as an internet-facing deployment signing users in through AD FS 2019 (OAuth bearer tokens
from the emulator's own ``/adfs/oauth2/token``, :mod:`emulator.server.auth_adfs`), and
``onprem-9.1-adfs2012r2`` the same behind AD FS 2012 R2, which refuses the password grant.

What a version lacks is refused as that version would (:meth:`Profile.admit`):

* a root newer than the server, an unknown action (``CreateMultiple``, ``UpsertMultiple``,
  ``UpdateMultiple`` on-premises) or a missing table (``appnotifications``) → 404
  "Resource not found for the segment '<name>'." (the shape Dataverse uses; the code
  on-premises is UNCONFIRMED);
* a sixth alternate key on a table on-premises → 400;
* preferences the version does not know (``return=representation`` before 8.2,
  ``odata.track-changes`` before 8.2, ``odata.continue-on-error`` on-premises) are ignored,
  as RFC 7240 asks of a server that does not support a preference: the answer is what a
  request without them gets (204 without a body, a plain page without a delta link, a batch
  that stops at its first error). UNCONFIRMED on a real 8.x server. Each such request is
  counted in :attr:`Profile.ignored` so tests can prove the client never sends one.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from dataverse_schema.model import Table
from dataverse_schema.versions import ChangeTracking, Features, features_for
from emulator.errors import ODataError, segment_not_found
from emulator.metadata import INVALID_METADATA
from emulator.server.wire import ApiRequest, Headers, Segment

#: Collection-bound bulk messages on-premises servers do not have.
BULK_MESSAGES = ("CreateMultiple", "UpdateMultiple", "UpsertMultiple")
#: The Windows test accounts every on-premises profile knows (``DOMAIN\\user``, password).
DEFAULT_ACCOUNTS = (("CONTOSO\\crmservice", "Emulat0r-Pa55"), ("CONTOSO\\crmadmin", "Emulat0r-Adm1n"))


@dataclass(frozen=True)
class Account:
    """A Windows account the emulator's NTLM acceptor knows."""

    username: str  # ``DOMAIN\\user`` or ``user@REALM``
    password: str

    def __post_init__(self) -> None:
        for name, value in (("user name", self.username), ("password", self.password)):
            # pyspnego's credential file is ``DOMAIN:USER:PASSWORD`` lines: a ':' or a newline would drop the line.
            if not value or any(c in value for c in ":\r\n"):
                raise ValueError(f"a test account's {name} must be non-empty without ':' or line breaks")
        if "\\" not in self.username and "@" not in self.username:
            raise ValueError(f"test account {self.username!r}: give DOMAIN\\user or user@REALM")

    def __repr__(self) -> str:
        return f"Account({self.username!r}, password='***')"


@dataclass
class Profile:
    """One kind of deployment the emulator plays."""

    name: str
    title: str
    features: Features
    #: Web API roots served, oldest first; the newest is what :attr:`url` points at.
    roots: tuple[str, ...]
    #: ``bearer`` (online: OAuth tokens), ``windows`` (IIS: NTLM and Negotiate) or ``adfs`` (AD FS tokens).
    sign_in: str
    accounts: tuple[Account, ...] = ()
    #: The AD FS version in front of an ``adfs`` profile: ``2019`` or ``2012r2``.
    adfs_version: str | None = None
    ignored: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def version(self) -> str:
        return str(self.features.version)

    @property
    def newest_root(self) -> str:
        return self.roots[-1]

    @property
    def is_windows(self) -> bool:
        return self.sign_in == "windows"

    @property
    def is_adfs(self) -> bool:
        return self.sign_in == "adfs"

    @property
    def is_onprem(self) -> bool:
        return not self.features.is_online

    def tables(self, tables: Iterable[Table]) -> tuple[Table, ...]:
        """The tables this version has: no ``appnotification`` where app notifications do not exist."""
        return tuple(t for t in tables if self.features.app_notifications or t.logical_name != "appnotification")

    def admit(
        self, request: ApiRequest, segments: list[Segment], table_keys: tuple[str, int] | None = None
    ) -> ApiRequest:
        """``request`` as this version reads it (ignored preferences dropped), or the error it answers.

        ``table_keys`` is the addressed table's logical name and how many alternate keys it
        already has, for a ``POST EntityDefinitions(...)/Keys``.
        """
        features = self.features
        if (
            not features.bulk_messages
            and len(segments) == 2
            and segments[0].ref is None
            and segments[1].name.removeprefix("Microsoft.Dynamics.CRM.") in BULK_MESSAGES
        ):
            raise segment_not_found(segments[1].name)
        limit = features.max_alternate_keys
        if table_keys is not None and limit is not None and table_keys[1] >= limit:
            # The catalogue's own (online) limit answers in the same words.
            raise ODataError(
                400, INVALID_METADATA, f"'{table_keys[0]}' already has the maximum of {limit} alternate keys."
            )
        prefer = request.headers.get("Prefer") or ""
        kept = self._kept_preferences(prefer)
        if kept == prefer:
            return request
        pairs = [(name, request.headers[name]) for name in request.headers if name.lower() != "prefer"]
        return replace(request, headers=Headers([*pairs, *([("Prefer", kept)] if kept else [])]))

    def ignores(self, preference: str) -> bool:
        """True when this version does not know the ``Prefer`` value ``preference`` (lower case)."""
        features = self.features
        if preference.startswith("return") and "representation" in preference:
            return not features.return_representation
        if preference == "odata.track-changes":
            return features.change_tracking is not ChangeTracking.DELTA
        if preference == "odata.continue-on-error":
            return not features.continue_on_error
        return False

    def _kept_preferences(self, prefer: str) -> str:
        """``prefer`` without the preferences this version ignores (each counted in :attr:`ignored`)."""
        items = [item for item in prefer.split(",") if item.strip()]
        dropped = [_name(item) for item in items if self.ignores(_name(item))]
        if not dropped:
            return prefer
        with self._lock:
            self.ignored.update(dropped)
        return ",".join(item for item in items if not self.ignores(_name(item)))


def _name(item: str) -> str:
    return item.strip().lower().replace(" ", "").replace('"', "")


def _profile(name: str, title: str, version: str, roots: tuple[str, ...]) -> Profile:
    features = features_for(version)
    if features.is_online:
        return Profile(name, title, features, roots, "bearer")
    accounts = tuple(Account(user, password) for user, password in DEFAULT_ACCOUNTS)
    if name in _ADFS:
        return Profile(name, title, features, roots, "adfs", accounts, adfs_version=_ADFS[name])
    return Profile(name, title, features, roots, "windows", accounts)


#: Profile names and (title, version reported by RetrieveVersion, roots served). The builds are
#: examples of each release (UNCONFIRMED as the latest of each); ``v9.1`` on an on-premises 9.1
#: server is UNCONFIRMED, so the onprem-9.1 profile serves it and the client never relies on it.
_CATALOGUE: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "online": ("Dataverse online 9.2", "9.2.24044.204", ("v9.0", "v9.1", "v9.2")),
    "onprem-9.1": (
        "Dynamics 365 Customer Engagement on-premises 9.1",
        "9.1.0.17154",
        ("v8.0", "v8.1", "v8.2", "v9.0", "v9.1"),
    ),
    "onprem-9.1-adfs": (
        "Dynamics 365 Customer Engagement on-premises 9.1, internet-facing, AD FS 2019",
        "9.1.0.17154",
        ("v8.0", "v8.1", "v8.2", "v9.0", "v9.1"),
    ),
    "onprem-9.1-adfs2012r2": (
        "Dynamics 365 Customer Engagement on-premises 9.1, internet-facing, AD FS 2012 R2",
        "9.1.0.17154",
        ("v8.0", "v8.1", "v8.2", "v9.0", "v9.1"),
    ),
    "onprem-9.0": ("Dynamics 365 Customer Engagement on-premises 9.0", "9.0.2.3034", ("v8.0", "v8.1", "v8.2", "v9.0")),
    "onprem-8.2": ("Dynamics 365 (on-premises) 8.2", "8.2.2.112", ("v8.0", "v8.1", "v8.2")),
    "crm-2016": ("Dynamics CRM 2016 Service Pack 1 (8.1)", "8.1.0.359", ("v8.0", "v8.1")),
}
NAMES = tuple(_CATALOGUE)
#: Profiles signing in through AD FS, and the AD FS version in front of each.
_ADFS = {"onprem-9.1-adfs": "2019", "onprem-9.1-adfs2012r2": "2012r2"}


def profile(name: str = "online") -> Profile:
    """A fresh profile (its own :attr:`Profile.ignored` counter); ValueError for an unknown name."""
    if name not in _CATALOGUE:
        raise ValueError(f"unknown emulator profile {name!r}: choose one of {', '.join(NAMES)}")
    title, version, roots = _CATALOGUE[name]
    return _profile(name, title, version, roots)


def root_or_refuse(profile_: Profile, root: str) -> str:
    """``root`` when the profile serves it; else the 404 a server without that root answers."""
    if root not in profile_.roots:
        raise segment_not_found(root)
    return root
