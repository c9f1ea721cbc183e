"""The console's admin diagnostics panel (CALL-39): its node tests, its page wiring and what the page serves."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from bridge.console.http import Request
from bridge.console.pages import serve

from .builders import settings

CONSOLE = Path(__file__).resolve().parents[4] / "bridge" / "console"
JS_TEST = Path(__file__).parent / "js" / "admin.test.js"


def test_the_panel_script_passes_its_node_tests() -> None:
    assert shutil.which("node"), "node (v18 or newer) runs the console script's tests"
    env = {**os.environ, "COMMS_JS": str(CONSOLE / "admin.js")}
    result = subprocess.run(["node", "--test", str(JS_TEST)], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout


def test_every_element_the_script_looks_up_is_on_the_page() -> None:
    script = (CONSOLE / "admin.js").read_text("utf-8")
    page = (CONSOLE / "console.html").read_text("utf-8")
    wanted = set(re.findall(r'\$\("(admin-[\w-]+)"\)', script)) | {"admin-panel"}
    present = set(re.findall(r'id="(admin-[\w-]+)"', page))
    assert wanted <= present, wanted - present
    labels = set(re.findall(r'data-ta="(\w+)"', page))
    assert all(f"{label}:" in script for label in labels)


def test_the_page_starts_with_the_panel_hidden_and_serves_its_script() -> None:
    page = serve(Request("GET", "/", {}, {}, b""), settings()).decode()
    assert '<section class="panel admin-panel" id="admin-panel" hidden>' in page
    assert '<script src="/admin.js" defer></script>' in page
    script = serve(Request("GET", "/admin.js", {}, {}, b""), settings()).decode()
    assert script.startswith("HTTP/1.1 200") and "text/javascript" in script and "/api/admin/ami" in script
