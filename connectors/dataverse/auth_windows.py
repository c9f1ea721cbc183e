"""Windows integrated sign-in to on-premises Dynamics: NTLM and Negotiate (Kerberos).

On-premises Dynamics 365 (9.0 / 9.1) and CRM 2016 (8.x) without an internet-facing
deployment want "the user's network credentials" (Microsoft's on-premises Web API
authentication page); IIS answers an anonymous request with ``401`` and two
headers, ``WWW-Authenticate: NTLM`` and ``WWW-Authenticate: Negotiate``. The
suite signs in as a CRM service account:

* :class:`NtlmAuth`: NTLM through ``requests-ntlm`` (on ``pyspnego``), with the
  account's ``DOMAIN\\user`` (or ``user@REALM``) and password. The handshake is
  three legs on one kept-alive connection and IIS then treats the *connection* as
  signed in, so the client reuses one ``requests.Session``, with a connection pool
  per thread (:mod:`connectors.dataverse.thread_connections`) so that no other
  thread's connection is handed to a handshake's last leg. Over https the
  channel binding token is sent (IIS Extended Protection).
* :class:`NegotiateAuth`: Kerberos through ``requests-kerberos`` (install
  ``commsuite[kerberos]``; it needs the system's krb5 libraries). The account's
  ticket comes from the process's credential cache or keytab (``kinit``,
  ``KRB5_CLIENT_KTNAME``), or, given the principal and its password, from the
  KDC into a private in-memory cache (pyspnego asks for it; nothing is written).

A refused sign-in raises :class:`~connectors.dataverse.errors.DataverseAuthError`
naming the account and the scheme, never the password. Feature X-01.
"""

from __future__ import annotations

import logging
from typing import Any

import requests

from connectors.dataverse.errors import DataverseAuthError
from connectors.settings import Secret

log = logging.getLogger(__name__)


def _refused(scheme: str, account: str, why: str) -> DataverseAuthError:
    return DataverseAuthError(
        f"the server refused the {scheme} sign-in of {account}: {why}",
        code="sign_in_refused",
        status=401,
        operation="sign-in",
    )


class NtlmAuth(requests.auth.AuthBase):
    """NTLM sign-in as ``username`` (``DOMAIN\\user`` or ``user@REALM``) with ``password``.

    Raises ``DataverseAuthError`` (not retry-safe: alert an admin) when the server
    still answers 401 after the handshake, offers no NTLM, or sends a challenge
    that is not NTLM.
    """

    scheme = "NTLM"

    def __init__(self, username: str, password: Secret, *, send_cbt: bool = True):
        if not username or not password:
            raise ValueError("NTLM needs the service account's user name and password")
        self.username = username
        self._password = password
        self._send_cbt = send_cbt
        self._inner: Any = None

    def __repr__(self) -> str:
        return f"NtlmAuth(username={self.username!r}, password='***')"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        inner = self._library_auth()
        # requests-ntlm registers its own response hook; ours runs after it and judges the outcome.
        request = inner(request)
        request.register_hook("response", self._judge)
        return request

    def _library_auth(self) -> Any:
        if self._inner is None:
            from requests_ntlm import HttpNtlmAuth

            self._inner = HttpNtlmAuth(self.username, self._password.reveal(), send_cbt=self._send_cbt)
            self._inner.response_hook = self._guarded(self._inner.response_hook)
        return self._inner

    def _guarded(self, hook: Any) -> Any:
        def run(response: requests.Response, **options: Any) -> requests.Response:
            try:
                return hook(response, **options)
            except requests.RequestException:
                raise
            except (PermissionError, ValueError, KeyError) as exc:
                # requests-ntlm: "Server did not respond with NTLM challenge token"; pyspnego: a bad challenge.
                raise _refused(self.scheme, self.username, f"the handshake failed ({type(exc).__name__})") from None
            except Exception as exc:  # noqa: BLE001 - pyspnego's SpnegoError tree has no common import-free base
                if type(exc).__module__.startswith("spnego"):
                    raise _refused(self.scheme, self.username, "the handshake failed") from None
                raise

        return run

    def _judge(self, response: requests.Response, **_: Any) -> requests.Response:
        if response.status_code != 401:
            return response
        offered = response.headers.get("WWW-Authenticate", "")
        if response.history:
            log.warning("dataverse refused the NTLM sign-in of %s", self.username)
            raise _refused(
                self.scheme,
                self.username,
                "wrong password, a locked or disabled account, or no such user in that domain",
            )
        if "ntlm" not in offered.lower() and "negotiate" not in offered.lower():
            raise _refused(
                self.scheme,
                self.username,
                "the server does not offer Windows sign-in (is it an internet-facing deployment? "
                "use COMMS_DATAVERSE_AUTH=adfs-password)",
            )
        return response


class NegotiateAuth(requests.auth.AuthBase):
    """Negotiate (Kerberos) sign-in with the process's Kerberos credentials, or a principal's password.

    ``principal`` picks one from the cache (``crmsvc@CONTOSO.COM``); ``None`` takes
    the default. With ``password`` too, the ticket is asked of the KDC for that
    principal instead. Raises ``DataverseAuthError`` when no ticket can be had or the
    server refuses it, and ``RuntimeError`` at construction when ``requests-kerberos``
    is not installed.
    """

    scheme = "Negotiate"

    def __init__(
        self,
        principal: str | None = None,
        *,
        password: Secret | None = None,
        hostname_override: str | None = None,
    ):
        if password and not principal:
            raise ValueError("a Kerberos password needs its principal, crmsvc@CONTOSO.COM")
        try:
            from requests_kerberos import OPTIONAL, HTTPKerberosAuth
        except ImportError:
            raise RuntimeError(
                "COMMS_DATAVERSE_AUTH=negotiate needs requests-kerberos: install "
                "commsuite[kerberos] (it builds against the system's krb5 libraries)"
            ) from None
        self.principal = principal
        self._inner = HTTPKerberosAuth(
            mutual_authentication=OPTIONAL,
            principal=principal,
            hostname_override=hostname_override,
            password=password.reveal() if password else None,
        )
        self._inner.handle_response = self._guarded(self._inner.handle_response)

    def __repr__(self) -> str:
        return f"NegotiateAuth(principal={self.principal!r})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request = self._inner(request)
        request.register_hook("response", self._judge)
        return request

    def _guarded(self, hook: Any) -> Any:
        who = self.principal or "the default Kerberos principal"

        def run(response: requests.Response, **options: Any) -> requests.Response:
            try:
                return hook(response, **options)
            except requests.RequestException:
                raise
            except Exception as exc:  # noqa: BLE001 - krb5's and pyspnego's errors have no import-free base
                if type(exc).__module__.split(".")[0] in ("krb5", "spnego", "gssapi"):
                    # The KDC refused the password, or there is no ticket: its words name no secret.
                    raise _refused(self.scheme, who, f"no Kerberos ticket ({type(exc).__name__})") from None
                raise

        return run

    def _judge(self, response: requests.Response, **_: Any) -> requests.Response:
        # requests-kerberos has answered the challenge by now: a 401 here is final (with no history,
        # it could make no token at all: no ticket in the cache and no password).
        if response.status_code == 401:
            raise _refused(
                self.scheme,
                self.principal or "the default Kerberos principal",
                "no valid ticket for the server's HTTP service, or not a CRM user"
                if response.history
                else "no Kerberos ticket (kinit, a keytab, or COMMS_DATAVERSE_PASSWORD)",
            )
        return response
