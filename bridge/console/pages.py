"""The console's static pages and assets, shipped in this package, with a strict Content-Security-Policy."""

from __future__ import annotations

import functools
import html
from importlib import resources

from bridge.console.http import Request, response
from bridge.console.settings import ConsoleSettings
from bridge.runtime.version import bridge_version

_ASSETS = {
    "/console.js": ("console.js", "text/javascript; charset=utf-8"),
    "/cif.js": ("cif.js", "text/javascript; charset=utf-8"),
    "/admin.js": ("admin.js", "text/javascript; charset=utf-8"),
    "/upgrade.js": ("upgrade.js", "text/javascript; charset=utf-8"),
    "/callview.js": ("callview.js", "text/javascript; charset=utf-8"),
    "/console.css": ("console.css", "text/css; charset=utf-8"),
}


@functools.cache
def _text(name: str) -> str:
    return resources.files("bridge.console").joinpath(name).read_text(encoding="utf-8")


def serve(request: Request, settings: ConsoleSettings) -> bytes | None:
    """The page or asset for ``request``, or ``None`` when the path is not one of ours."""
    if request.method != "GET":
        return None
    if request.path in ("/", "/cif"):
        return _page(settings, is_cif=request.path == "/cif")
    if request.path in _ASSETS:
        name, content_type = _ASSETS[request.path]
        return response(200, _text(name), content_type=content_type)
    if request.path == "/favicon.ico":
        return response(204)
    return None


def _page(settings: ConsoleSettings, *, is_cif: bool) -> bytes:
    org = settings.org_url
    library = ""
    if is_cif and org:
        src = html.escape(f"{org}/webresources/Widget/msdyn_ciLibrary.js", quote=True)
        library = (
            f'<script src="{src}" data-crmurl="{html.escape(org, quote=True)}" data-cifid="CIFMainLibrary"></script>'
        )
    lang = settings.language
    page = (
        _text("console.html")
        .replace("{{lang}}", lang)
        .replace("{{dir}}", "rtl" if lang == "fa" else "ltr")
        .replace("{{mode}}", "cif" if is_cif else "full")
        .replace("{{version}}", html.escape(bridge_version(), quote=True))
        .replace("{{cif_library}}", library)
    )
    scripts = f"'self' {org}" if is_cif and org else "'self'"
    ancestors = org if is_cif and org else ("'self'" if is_cif else "'none'")
    policy = (
        f"default-src 'none'; script-src {scripts}; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    )
    headers = {"Content-Security-Policy": policy}
    if not is_cif:
        headers["X-Frame-Options"] = "DENY"
    return response(200, page, content_type="text/html; charset=utf-8", headers=headers)
