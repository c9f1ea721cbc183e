"""A loopback stand-in for the Azure Functions host, used by the SMS step of ``commsuite demo`` and its tests.

It runs the real ``function_app.app``: HTTP-triggered functions answer on
``127.0.0.1`` at ``/api/<route>`` (so the fake SMS provider can push delivery
reports and inbound texts to them), and queue / timer functions are called by
name with the trigger objects the host would build. App settings are put into
``os.environ`` for the duration, as the host does, and the per-worker service
cache is emptied on the way in and out so nothing leaks into later code. The
app builds its services as every host does: ``services.factory.build_services``
from ``services.settings.AppSettings``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import azure.functions as func

MAX_BODY_BYTES = 1 << 20


@contextmanager
def app_settings(settings: Mapping[str, str]) -> Iterator[None]:
    """Set ``settings`` as environment variables (the host's app settings) and restore them afterwards."""
    from functions.app_services import services

    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    services.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        services.cache_clear()


class _Route:
    def __init__(self, template: str, handler: Callable[[func.HttpRequest], func.HttpResponse]):
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        self.template, self.regex, self.handler = template, re.compile(f"/api/{pattern}"), handler


class LocalFunctionsHost:
    """Serves the app's HTTP functions on loopback and calls the others by name; one invocation at a time."""

    def __init__(self, app: func.FunctionApp):
        indexed = tuple(app.get_functions())  # once per app, as the host does
        self._functions = {f.get_function_name(): f.get_user_function() for f in indexed}
        self._routes = [_Route(route, f.get_user_function()) for f in indexed for route in _http_routes(f)]
        self._lock = threading.Lock()
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.invocations: list[tuple[str, int]] = []  # (route template, status)

    def __enter__(self) -> LocalFunctionsHost:
        self._http = _Server(self)
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, name="demo-functions-host", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def origin(self) -> str:
        if self._http is None:
            raise RuntimeError("the local Functions host is not running")
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def call(self, function_name: str, trigger: Any) -> Any:
        """Invoke a non-HTTP function (queue, Service Bus, timer) with the trigger object the host would pass."""
        with self._lock:
            return self._functions[function_name](trigger)

    def deliver(self, function_name: str, body: bytes, content_type: str = "application/json") -> Any:
        """Invoke a Service Bus-triggered function with one message, as the host would hand it over."""
        return self.call(function_name, func.ServiceBusMessage(body=body, content_type=content_type))

    def handle(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> func.HttpResponse:
        for route in self._routes:
            match = route.regex.fullmatch(path)
            if match:
                request = func.HttpRequest(
                    method,
                    self.origin + path + (f"?{query}" if query else ""),
                    body=body,
                    headers=dict(headers),
                    params=dict(parse_qsl(query)),
                    route_params=match.groupdict(),
                )
                with self._lock:
                    response = route.handler(request)
                self.invocations.append((route.template, response.status_code))
                return response
        return func.HttpResponse("no function at this route", status_code=404)


def load_function_app() -> func.FunctionApp:
    """A fresh ``function_app.app``, built from the project root's ``function_app.py`` as the host builds it.

    The installed ``commsuite`` command sees only the packages, so the file is found beside ``functions/``.
    It is run under a private module name and kept out of ``sys.modules``: an app can be indexed only once,
    and the demo's indexing must not use up the one a host or a test in the same process imports.
    """
    import functions

    path = Path(functions.__file__).resolve().parents[1] / "function_app.py"
    spec = importlib.util.spec_from_file_location("commsuite_demo_function_app", path)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no function_app.py beside {Path(functions.__file__).parent}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def _http_routes(function: Any) -> list[str]:
    return [b.route for b in function.get_bindings() if b.type == "httpTrigger" and getattr(b, "route", None)]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Request lines carry webhook tokens in the query: never logged."""

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self._reply(func.HttpResponse("body too large", status_code=413))
            return
        path, _, query = self.path.partition("?")
        self._reply(self.server.host.handle("POST", path, query, dict(self.headers.items()), self.rfile.read(length)))

    def _reply(self, response: func.HttpResponse) -> None:
        body = response.get_body() or b""
        self.send_response(response.status_code)
        self.send_header("Content-Type", response.mimetype or "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: LocalFunctionsHost):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.host = host
