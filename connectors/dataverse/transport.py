"""The one boundary where the Dataverse client meets the network.

Sends each request on the injected ``requests.Session`` with an explicit
``(connect, read)`` timeout and the bearer auth, applies the retry policy
(:mod:`connectors.dataverse.retry`), counts requests, and turns every
``requests`` exception (through the shared map, :mod:`connectors.http_errors`)
and every non-2xx reply into a typed :mod:`connectors.dataverse.errors` error,
chained with ``raise … from``.
Feature X-03.

Logging: one DEBUG line per request naming the method and the entity set only;
no query strings, key values, bodies, headers or tokens at any level.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping

import requests

from connectors.dataverse.auth import BearerAuth
from connectors.dataverse.deadline import current_deadline
from connectors.dataverse.errors import (
    BadResponseError,
    ConnectFailedError,
    DataverseError,
    RequestNotBuiltError,
    ResponseLostError,
    ThrottledError,
    error_from_reply,
)
from connectors.dataverse.retry import RETRYABLE_STATUSES, RequestStats, RetryPolicy, parse_retry_after
from connectors.http_errors import TRANSPORT_FAILURES, Fate, transport_error

log = logging.getLogger(__name__)

# An absolute URL of printable ASCII with no spaces can go on the wire exactly as written.
_VERBATIM_URL = re.compile(r"https?://[\x21-\x7e]+")


#: The Dataverse subclass for each fate of the shared map (:mod:`connectors.http_errors`).
ERROR_CLASSES: dict[Fate, type[DataverseError]] = {
    Fate.NOT_SENT: ConnectFailedError,
    Fate.UNKNOWN: ResponseLostError,
    Fate.UNBUILDABLE: RequestNotBuiltError,
    Fate.BAD_REPLY: BadResponseError,
}


def translate_exception(exc: BaseException, operation: str) -> DataverseError:
    """Map a transport failure to the typed error that says whether a resend is safe."""
    return transport_error(exc, classes=ERROR_CLASSES, operation=operation)


def loggable_target(url: str, api_url: str) -> str:
    """The entity set or function name of ``url``: no key values, no query."""
    path = url[len(api_url) :] if url.startswith(api_url) else url.rsplit("/", 1)[-1]
    for stop in ("(", "?", "/"):
        path = path.split(stop, 1)[0]
    return path or "/"


class Transport:
    """Sends one logical request, retrying per policy; the client's only I/O path."""

    def __init__(
        self,
        *,
        session: requests.Session,
        auth: BearerAuth,
        timeout: tuple[float, float],
        retry: RetryPolicy,
        stats: RequestStats,
        api_url: str,
    ):
        self.session = session
        self.auth = auth
        self.timeout = timeout
        self.retry = retry
        self.stats = stats
        self.api_url = api_url

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        idempotent: bool,
        operation: str,
        multipart_ok: bool = False,
    ) -> requests.Response:
        """Send and return a 2xx response (or a multipart one when ``multipart_ok``).

        Raises a typed ``DataverseError``; see :mod:`connectors.dataverse.retry` for
        what is retried.
        """
        target = loggable_target(url, self.api_url)
        deadline = current_deadline()
        attempt = 1
        while True:
            timeout = self.timeout if deadline is None else deadline.timeout(self.timeout, operation)
            try:
                response = self._send_once(method, url, headers, body, target, timeout)
            except TRANSPORT_FAILURES as exc:
                error = translate_exception(exc, operation)
                delay = self.retry.backoff_s(attempt) if self._may_retry_failure(error, idempotent, attempt) else None
                if delay is not None and (deadline is None or deadline.allows_wait(delay)):
                    self._wait(delay, attempt, target, type(error).__name__)
                    attempt += 1
                    continue
                raise error from exc
            if response.ok or (multipart_ok and _is_multipart(response)):
                return response
            delay = self._retry_delay(response, idempotent, attempt)
            if delay is None or (deadline is not None and not deadline.allows_wait(delay)):
                raise self._reply_error(response, operation)
            self._wait(delay, attempt, target, f"HTTP {response.status_code}")
            attempt += 1

    def _send_once(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        target: str,
        timeout: tuple[float, float],
    ) -> requests.Response:
        started = time.monotonic()
        try:
            prepared = self.session.prepare_request(
                requests.Request(method, url, headers=dict(headers), data=body, auth=self.auth)
            )
            if _VERBATIM_URL.fullmatch(url):
                # requests re-quotes URLs (``%2f`` → ``%2F``); paging and delta links are sent as given.
                prepared.url = url
            options = self.session.merge_environment_settings(prepared.url, {}, None, None, None)
            response = self.session.send(prepared, timeout=timeout, allow_redirects=False, **options)
        except TRANSPORT_FAILURES as exc:
            self.stats.add(requests=1)
            self.stats.failed(type(exc).__name__)
            raise
        if response.status_code >= 500:
            self.stats.failed(f"HTTP {response.status_code}")
        else:
            self.stats.answered()
        self.stats.add(
            requests=1 + len(response.history),
            throttled=int(response.status_code == 429) + sum(r.status_code == 429 for r in response.history),
        )
        log.debug(
            "dataverse %s %s -> %d in %.0f ms",
            method,
            target,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response

    def _may_retry_failure(self, error: DataverseError, idempotent: bool, attempt: int) -> bool:
        if attempt >= self.retry.max_attempts:
            return False
        return isinstance(error, ConnectFailedError) or (isinstance(error, ResponseLostError) and idempotent)

    def _retry_delay(self, response: requests.Response, idempotent: bool, attempt: int) -> float | None:
        if attempt >= self.retry.max_attempts:
            return None
        if response.status_code == 429:
            return self.retry.throttle_delay_s(parse_retry_after(response.headers.get("Retry-After")), attempt)
        if response.status_code in RETRYABLE_STATUSES and idempotent:
            return self.retry.backoff_s(attempt)
        return None

    def _reply_error(self, response: requests.Response, operation: str) -> DataverseError:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        error = error_from_reply(response.status_code, response.content, retry_after_s=retry_after, operation=operation)
        if isinstance(error, ThrottledError):
            log.warning(
                "dataverse throttled (%s) on %s; giving up after the retry policy", error.code or 429, operation
            )
        return error

    def _wait(self, delay_s: float, attempt: int, target: str, why: str) -> None:
        log.warning(
            "dataverse %s on %s; retry %d/%d in %.2f s", why, target, attempt, self.retry.max_attempts - 1, delay_s
        )
        self.stats.add(retries=1, waited_s=delay_s)
        self.retry.sleep(delay_s)


def _is_multipart(response: requests.Response) -> bool:
    return response.headers.get("Content-Type", "").lower().startswith("multipart/mixed")
