"""The container files, read as text: CI has no Docker daemon, so what a build would show is checked here.

docs/on-premises.md ("Container") records the real build and run these checks stand for.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from bridge.config.model import BridgeSection

ROOT = Path(__file__).resolve().parents[2]
CONTAINER = ROOT / "deploy" / "container"


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", (CONTAINER / "Dockerfile").read_text(encoding="utf-8"))
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (keyword.upper(), rest.strip())
        for keyword, _, rest in (line.partition(" ") for line in lines if line and not line.startswith("#"))
    ]


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(index for index, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def _services() -> dict[str, str]:
    """compose.yaml's services as name -> their indented block (the file is plain block YAML)."""
    text = (CONTAINER / "compose.yaml").read_text(encoding="utf-8")
    body = text.split("\nservices:\n", 1)[1].split("\nvolumes:\n", 1)[0]
    blocks = re.split(r"^  (?=[a-z-]+:\n)", body, flags=re.MULTILINE)
    return {block.split(":", 1)[0]: block for block in blocks if block.strip() and not block.startswith(" ")}


def _ignored() -> set[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_the_base_image_is_an_argument_so_a_site_without_docker_hub_builds_from_its_own():
    instructions = _instructions()
    assert instructions[0] == ("ARG", "BASE_IMAGE=python:3.11-slim")
    froms = [rest for keyword, rest in instructions if keyword == "FROM"]
    assert froms and all(rest.startswith("${BASE_IMAGE}") for rest in froms)


def test_the_venv_is_made_with_python3_which_both_python_and_debian_images_have():
    runs = " ".join(rest for keyword, rest in _instructions() if keyword == "RUN")
    assert "python3 -m venv /opt/commsuite/.venv" in runs
    assert re.search(r"(?<![\w/])python -m", runs) is None
    assert re.search(r"pip install -c /src/constraints\.txt \"/src\[fax\]\"", runs)


def test_the_daemon_runs_as_an_unprivileged_user():
    users = [rest for keyword, rest in _final_stage() if keyword == "USER"]
    assert users == ["commsuite"]


def test_the_health_check_probes_the_daemons_default_health_endpoint():
    checks = [rest for keyword, rest in _final_stage() if keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    host, port = BridgeSection.model_fields["health_listen"].default.rsplit(":", 1)
    assert f"http://{host}:{port}/healthz" in checks[0]
    assert f"EXPOSE {port}" in " ".join(f"{keyword} {rest}" for keyword, rest in _final_stage())


def test_tini_is_pid_1_so_sigterm_reaches_every_command():
    stage = dict(_final_stage())
    assert stage["ENTRYPOINT"] == '["/usr/bin/tini", "--", "commsuite"]'
    assert "tini" in stage["RUN"]


def test_the_image_has_the_font_and_fribidi_that_persian_fax_pages_are_drawn_with():
    stage = dict(_final_stage())
    assert "fonts-dejavu-core" in stage["RUN"] and "libfribidi0" in stage["RUN"]
    assert stage["STOPSIGNAL"] == "SIGTERM"


def test_the_build_context_leaves_out_the_venv_git_and_tests_but_keeps_what_pip_needs():
    ignored = _ignored()
    assert {".git", ".venv", "tests", "bench", "docs", "**/__pycache__"} <= ignored
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = [name.rstrip("*") for name in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    needed = {"pyproject.toml", "constraints.txt", project["project"]["readme"], *packages}
    assert not needed & ignored


def test_compose_has_no_top_level_name_which_docker_compose_1_29_refuses():
    text = (CONTAINER / "compose.yaml").read_text(encoding="utf-8")
    assert re.search(r"^name:", text, re.MULTILINE) is None
    assert re.search(r"^version:", text, re.MULTILINE) is None


def test_the_trial_is_a_profile_with_its_own_state_and_the_production_daemon_is_not():
    services = _services()
    assert set(services) == {"daemon", "emulator", "daemon-trial"}
    assert "profiles" not in services["daemon"]
    for name in ("emulator", "daemon-trial"):
        assert "profiles: [trial]" in services[name]
    assert "- state:/var/lib/commsuite" in services["daemon"]
    assert "- trial-state:/var/lib/commsuite" in services["daemon-trial"]
    assert 'network_mode: "service:emulator"' in services["daemon-trial"]


def test_no_service_replaces_the_entrypoint_and_daemons_outlast_their_shutdown_timeout():
    services = _services()
    assert not any("entrypoint:" in block for block in services.values())
    shutdown_s = BridgeSection.model_fields["shutdown_timeout_s"].default
    for name in ("daemon", "daemon-trial"):
        grace = re.search(r"stop_grace_period: (\d+)s", services[name])
        assert grace is not None and int(grace.group(1)) > shutdown_s


def test_every_build_argument_is_documented_for_the_administrator():
    arguments = {rest.split("=", 1)[0] for keyword, rest in _instructions() if keyword == "ARG"}
    assert arguments == {"BASE_IMAGE", "PIP_INDEX_URL", "DEBIAN_PACKAGES"}
    guide = (ROOT / "docs" / "on-premises.md").read_text(encoding="utf-8")
    assert all(f"| `{argument}` |" in guide for argument in arguments)
