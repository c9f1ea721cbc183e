"""NTLM from many threads of one client: each handshake stays on its own connection.

IIS (and the emulator) sign in a connection, not a client. The bridge shares one client
between its drainer, settings refresh and number sync; a handshake leg that went out on a
connection another thread had just put back was refused as a wrong password.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import requests_ntlm.requests_ntlm as requests_ntlm_module

from connectors.dataverse.settings import DataverseSettings, make_client
from connectors.dataverse.thread_connections import ThreadConnectionsAdapter
from connectors.settings import Secret
from tests.integration.onprem.conftest import ntlm_settings, onprem_server

pytestmark = pytest.mark.integration


class _PausingContext:
    """An NTLM initiator that runs ``before_answer`` before it answers the server's challenge."""

    def __init__(self, inner, before_answer) -> None:
        self._inner = inner
        self._before_answer = before_answer

    def step(self, token=None):
        if token is not None:
            self._before_answer()
        return self._inner.step(token)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def test_a_connection_put_back_by_another_thread_mid_handshake_is_not_used_for_the_last_leg(monkeypatch):
    with onprem_server("onprem-9.0") as server, requests.Session() as session:
        client = make_client(ntlm_settings(server), session)
        holding, release, released = threading.Event(), threading.Event(), threading.Event()
        failures: list[BaseException] = []

        def hold_a_signed_in_connection() -> None:
            try:
                held = session.get(server.url + "WhoAmI", auth=client._transport.auth, stream=True)
                assert held.status_code == 200
                holding.set()
                release.wait(10)
                assert held.json()["UserId"]  # read to the end: its signed-in connection goes back to the pool
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                failures.append(exc)
            finally:
                holding.set()
                released.set()

        real_client = requests_ntlm_module.spnego.client
        main = threading.current_thread()

        def client_that_waits_for_the_other_thread(*args, **kwargs):
            def before_answer() -> None:
                if threading.current_thread() is main:
                    release.set()
                    released.wait(10)

            return _PausingContext(real_client(*args, **kwargs), before_answer)

        other = threading.Thread(target=hold_a_signed_in_connection)
        other.start()
        assert holding.wait(10)
        monkeypatch.setattr(requests_ntlm_module.spnego, "client", client_that_waits_for_the_other_thread)
        try:
            assert client.whoami()["UserId"]
        finally:
            release.set()
            other.join(10)
        assert not failures and released.is_set()


def test_many_threads_of_one_client_all_sign_in():
    with onprem_server("crm-2016") as server, requests.Session() as session:
        client = make_client(ntlm_settings(server), session)
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(lambda _: client.whoami()["UserId"], range(60)))
        assert len(set(answers)) == 1


def test_each_thread_has_its_own_pool_and_close_empties_them_all():
    adapter = ThreadConnectionsAdapter()
    mine = adapter.poolmanager
    assert adapter.poolmanager is mine
    theirs: list[object] = []
    thread = threading.Thread(target=lambda: theirs.append(adapter.poolmanager))
    thread.start()
    thread.join()
    assert theirs[0] is not mine
    mine.connection_from_url("http://127.0.0.1:1/")
    theirs[0].connection_from_url("http://127.0.0.1:1/")  # type: ignore[attr-defined]
    adapter.close()
    assert len(mine.pools) == 0 and len(theirs[0].pools) == 0  # type: ignore[attr-defined]
    assert adapter.poolmanager is not mine


def test_only_ntlm_clients_pin_their_connections():
    with onprem_server("onprem-9.0") as server, requests.Session() as ntlm, requests.Session() as bearer:
        make_client(ntlm_settings(server), ntlm)
        token = DataverseSettings(url=server.origin, auth="static", static_token=Secret("a-token"))
        make_client(token, bearer)
        assert isinstance(ntlm.get_adapter(server.url), ThreadConnectionsAdapter)
        assert not isinstance(bearer.get_adapter(server.url), ThreadConnectionsAdapter)
