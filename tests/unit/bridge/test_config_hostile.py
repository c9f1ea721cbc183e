"""Any value of any TOML type in any key of the shipped example ``bridge.toml`` is validated or reported as a
``ConfigError`` in words, never a stray exception at start-up."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.config.loader import parse_config
from bridge.config.model import ConfigError

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXAMPLE = (Path(__file__).resolve().parents[3] / "deploy" / "bridge.example.toml").read_text(encoding="utf-8")
LINES = EXAMPLE.splitlines()
ASSIGNMENTS = [i for i, line in enumerate(LINES) if re.match(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*=", line)]
ENV = {name: "x" for name in re.findall(r'_env\s*=\s*"([A-Z0-9_]+)"', EXAMPLE)}
HOSTILE = st.sampled_from(
    [
        "[]", "{}", "[[]]", "{a = 1}", "-1", "0", "99999999999999999999999", "-99999999999999999999999", "inf",
        "-inf", "nan", "1e400", "true", "1979-05-27T07:32:00Z", "07:32:00", '""', '" "', '"\\u202e1"',
        '"a\\r\\nb"', '"\\u0000"', '"../../etc/passwd"', '"ftp://x"', '"' + "x" * 3000 + '"', '"²"', '"٣"',
        "[1, \"a\"]", '"PJSIP/201\\r\\nAction: Command"',
    ]
)  # fmt: skip


@FAST
@given(picks=st.lists(st.tuples(st.sampled_from(ASSIGNMENTS), HOSTILE), min_size=1, max_size=3))
def test_any_value_in_any_key_is_loaded_or_a_config_error(picks: list[tuple[int, str]]) -> None:
    lines = list(LINES)
    for index, value in picks:
        key = lines[index].split("=", 1)[0]
        lines[index] = f"{key}= {value}"
    try:
        parse_config("\n".join(lines).encode(), "bridge.toml", ENV)
    except ConfigError as exc:
        assert exc.problems if hasattr(exc, "problems") else str(exc)


def test_a_secret_file_name_with_a_nul_is_a_config_error_naming_the_key() -> None:
    text = EXAMPLE.replace('client_secret_env = "COMMS_PROD_CLIENT_SECRET"', 'client_secret_file = "/etc/a\\u0000b"')
    try:
        parse_config(text.encode(), "bridge.toml", ENV)
    except ConfigError as exc:
        assert "client_secret_file: a file name cannot hold a NUL character" in str(exc)
    else:
        raise AssertionError("a NUL in a file name was accepted")
