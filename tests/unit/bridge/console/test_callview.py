"""The console's call list shows a held call and the history its hold time (``on_hold``, ``hold_seconds``)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from bridge.console.http import Request
from bridge.console.pages import serve

from .builders import settings

CONSOLE = Path(__file__).resolve().parents[4] / "bridge" / "console"
JS_TEST = Path(__file__).parent / "js" / "callview.test.js"


def test_the_call_view_script_passes_its_node_tests() -> None:
    assert shutil.which("node"), "node (v18 or newer) runs the console script's tests"
    env = {**os.environ, "COMMS_JS": str(CONSOLE / "callview.js")}
    result = subprocess.run(["node", "--test", str(JS_TEST)], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout


def test_the_page_loads_the_call_view_before_the_console_and_serves_it() -> None:
    page = (CONSOLE / "console.html").read_text("utf-8")
    assert page.index('src="/callview.js"') < page.index('src="/console.js"')
    served = serve(Request("GET", "/callview.js", {}, {}), settings())
    assert served is not None and b"200" in served.split(b"\r\n", 1)[0] and b"CommSuiteCallView" in served


def test_the_console_uses_the_call_view_for_badges_and_lengths() -> None:
    script = (CONSOLE / "console.js").read_text("utf-8")
    assert "CommSuiteCallView.badges(call)" in script and "CommSuiteCallView.lengths(call)" in script
