"""Windows integrated sign-in as IIS does it: NTLM and Negotiate, one handshake per connection.

An anonymous request gets ``401`` with two headers, ``WWW-Authenticate: NTLM`` and
``WWW-Authenticate: Negotiate``. The client answers with a NEGOTIATE message, the server with
a CHALLENGE (another 401, on the same connection), the client with an AUTHENTICATE message;
pyspnego's NTLM acceptor checks it against the configured test accounts. From then on the
*connection* is signed in, as IIS keeps it: later requests on it carry no ``Authorization``.

* A handshake step that arrives on a new connection fails (the acceptor has no challenge
  to check it against) and gets a fresh 401.
* A user name without its domain (``crmservice`` for ``CONTOSO\\crmservice``) finds no
  account and is refused: IIS wants ``DOMAIN\\user`` or ``user@REALM``.
* Over https the acceptor requires the channel binding token (``tls-server-end-point``,
  RFC 5929), as IIS with Extended Protection set to *Required* does.

pyspnego's acceptor reads its accounts from the file named by the process's
``NTLM_USER_FILE`` variable. This module owns that variable: it writes every account any
emulator in the process registered into one private file, and each connection then checks
that the signed-in user is one of *its* server's accounts.

Negotiate carrying Kerberos (not NTLM) is accepted too when the process has a keytab holding
the ``HTTP/<host>`` service key (:func:`use_keytab`): pyspnego hands the Kerberos token to the
system's GSSAPI (MIT Kerberos through python-gssapi), which checks the ticket against the keytab
as IIS does against the CRM's service account; the signed-in user is the ticket's client
principal (``crmservice@CONTOSO.COM``), which must be one of the server's accounts too.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import spnego
from spnego.channel_bindings import GssChannelBindings
from spnego.exceptions import SpnegoError

from emulator.server.profiles import Account

#: The two challenges IIS sends to an anonymous request, in its order.
CHALLENGES = (("WWW-Authenticate", "NTLM"), ("WWW-Authenticate", "Negotiate"))
_SCHEMES = {"ntlm": "NTLM", "negotiate": "Negotiate"}

_store_lock = threading.Lock()
_store_lines: list[str] = []
_store_path: Path | None = None


def register_accounts(accounts: Iterable[Account]) -> None:
    """Make ``accounts`` known to pyspnego's acceptor in this process (idempotent)."""
    global _store_path
    with _store_lock:
        for account in accounts:
            domain, _, user = account.username.partition("\\")
            line = f"{domain}:{user}:{account.password}" if user else f":{account.username}:{account.password}"
            if line not in _store_lines:
                _store_lines.append(line)
        if _store_path is None:
            handle, name = tempfile.mkstemp(prefix="commsuite-emulator-ntlm-", suffix=".txt")
            os.close(handle)
            _store_path = Path(name)
        _store_path.write_text("\n".join(_store_lines) + "\n", encoding="utf-8")
        os.environ["NTLM_USER_FILE"] = str(_store_path)


def use_keytab(path: Path) -> None:
    """Accept Kerberos with the service keys in ``path`` (the process's ``KRB5_KTNAME``, which MIT
    Kerberos reads at each acceptance); needs python-gssapi, so the ``commsuite[kerberos]`` extra."""
    keytab = Path(path)
    if not keytab.is_file():
        raise ValueError(f"no keytab at {keytab}")
    os.environ["KRB5_KTNAME"] = f"FILE:{keytab.resolve()}"


def channel_bindings(certificate_der: bytes) -> GssChannelBindings:
    """RFC 5929 ``tls-server-end-point`` bindings of a certificate signed with SHA-256 (or weaker)."""
    return GssChannelBindings(application_data=b"tls-server-end-point:" + hashlib.sha256(certificate_der).digest())


@dataclass(frozen=True)
class Step:
    """What one ``Authorization`` header led to.

    ``user`` when signed in; else ``headers`` for the 401 (a challenge when ``challenge``,
    a fresh offer of both schemes when refused) and ``reason`` for the log.
    """

    user: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    challenge: bool = False
    reason: str = ""


class WindowsSignIn:
    """The sign-in state of one TCP connection."""

    def __init__(self, accounts: Iterable[Account], bindings: GssChannelBindings | None = None) -> None:
        self._known = {_normal(a.username) for a in accounts}
        self._bindings = bindings
        self._context: spnego.ContextProxy | None = None
        self._scheme = ""
        self.user: str | None = None

    def step(self, authorization: str) -> Step:
        """Take one ``Authorization: NTLM|Negotiate <base64>`` header."""
        scheme, _, token = authorization.strip().partition(" ")
        scheme = _SCHEMES.get(scheme.lower(), "")
        if not scheme or not token.strip():
            return self._refused("no NTLM or Negotiate token")
        try:
            data = base64.b64decode(token.strip(), validate=True)
        except ValueError:
            return self._refused("the token is not base64")
        if self._context is None or scheme != self._scheme or self.user is not None:
            self.user = None
            self._scheme = scheme
            self._context = spnego.server(protocol=scheme.lower(), channel_bindings=self._bindings)
        try:
            reply = self._context.step(data)
        except (SpnegoError, ValueError) as exc:
            # ValueError: an AUTHENTICATE message on a connection that never saw the challenge.
            return self._refused(f"{type(exc).__name__}: {exc}")
        if not self._context.complete:
            if reply is None:
                return self._refused("the handshake produced no challenge")
            return Step(headers=(("WWW-Authenticate", f"{scheme} {base64.b64encode(reply).decode()}"),), challenge=True)
        principal = self._context.client_principal or ""
        if _normal(principal) not in self._known:
            return self._refused(f"{principal!r} is not an account of this server")
        self.user = principal
        final = (("WWW-Authenticate", f"{scheme} {base64.b64encode(reply).decode()}"),) if reply else ()
        return Step(user=principal, headers=final)

    def _refused(self, reason: str) -> Step:
        self._context = None
        self.user = None
        return Step(headers=CHALLENGES, reason=reason)


def _normal(username: str) -> str:
    return username.strip().upper()
