"""``[systems.<key>.recordings]``: the store and the fetch timings, mistakes named by key path (CALL-28)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config.loader import parse_config
from bridge.config.model import ConfigError
from bridge.config.parts import FolderRecordings
from bridge.recordings.policy import RecordingPolicy

BASE = """
[environments.prod]
url = "https://contoso.crm4.dynamics.com"
static_token = "t"
[systems.hq]
kind = "ami"
environments = ["prod"]
host = "10.0.0.5"
username = "crm"
password = "x"
"""
SFTP = """
[systems.hq.recordings]
kind = "sftp"
host = "10.0.0.5"
username = "recordings"
known_hosts = "/etc/commsuite/known_hosts"
password = "hunter2-secret"
"""
WHERE = "systems.hq.recordings"


def parse(extra: str):
    return parse_config((BASE + extra).encode(), "bridge.toml", {})


def problems(extra: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(extra)
    return str(caught.value)


def test_without_timings_the_defaults_hold() -> None:
    assert parse(SFTP).systems["hq"].recording_policy == RecordingPolicy()
    assert parse("").systems["hq"].recording_policy == RecordingPolicy()


def test_every_timing_can_be_set_beside_an_sftp_store() -> None:
    config = parse(
        SFTP
        + """first_delay_s = 1
retry_base_s = 2.5
retry_max_s = 30
give_up_after_s = 1800
stable_wait_s = 0
attach_limit_bytes = 20971520
match_window_s = 60
max_parallel = 4
"""
    )
    system = config.systems["hq"]
    assert system.recording_policy == RecordingPolicy(
        first_delay_s=1,
        retry_base_s=2.5,
        retry_max_s=30,
        give_up_after_s=1800,
        stable_wait_s=0,
        attach_limit_bytes=20 * 1024 * 1024,
        match_window_s=60,
        max_parallel=4,
    )
    assert system.recordings.host == "10.0.0.5"


def test_timings_go_with_a_folder_store_too() -> None:
    system = parse('[systems.hq.recordings]\nkind = "folder"\nroot = "/mnt/rec"\ngive_up_after_s = 900\n').systems["hq"]
    assert system.recordings == FolderRecordings(Path("/mnt/rec"))
    assert system.recording_policy == RecordingPolicy(give_up_after_s=900)


@pytest.mark.parametrize(
    "line, path, words",
    [
        ("first_delay_s = -1", "first_delay_s", "greater than or equal to 0"),
        ("first_delay_s = 7200", "first_delay_s", "less than or equal to 3600"),
        ("retry_base_s = 0", "retry_base_s", "greater than 0"),
        ("give_up_after_s = 0", "give_up_after_s", "greater than 0"),
        ("give_up_after_s = inf", "give_up_after_s", "less than or equal"),
        ("give_up_after_s = nan", "give_up_after_s", "less than or equal"),
        ("stable_wait_s = '2'", "stable_wait_s", "valid number"),
        ("stable_wait_s = true", "stable_wait_s", "valid number"),
        ("attach_limit_bytes = 0", "attach_limit_bytes", "greater than or equal to 1"),
        ("attach_limit_bytes = 5.5", "attach_limit_bytes", "valid integer"),
        ("attach_limit_bytes = 999999999999", "attach_limit_bytes", "less than or equal to 134217728"),
        ("match_window_s = [60]", "match_window_s", "valid number"),
        ("max_parallel = 0", "max_parallel", "greater than or equal to 1"),
        ("max_parallel = 1000", "max_parallel", "less than or equal to 32"),
    ],
)
def test_a_bad_timing_is_named_by_its_key_path(line: str, path: str, words: str) -> None:
    text = problems(SFTP + line + "\n")
    assert f"{WHERE}.{path}: " in text and words in text
    assert "hunter2-secret" not in text


def test_a_backoff_that_would_shrink_is_refused_in_plain_words() -> None:
    text = problems(SFTP + "retry_base_s = 60\nretry_max_s = 10\n")
    assert f"{WHERE}: retry_max_s (10) must be at least retry_base_s (60)" in text


def test_a_misspelt_timing_is_an_unknown_key_with_the_allowed_ones() -> None:
    text = problems(SFTP + "give_up_after = 600\n")
    assert f"{WHERE}.give_up_after: unknown key" in text and "give_up_after_s" in text
    folder = problems('[systems.hq.recordings]\nkind = "folder"\nroot = "/r"\nfirst_delay = 5\n')
    assert f"{WHERE}: unknown key first_delay" in folder and "first_delay_s" in folder


def test_bad_timings_and_a_bad_store_are_reported_together() -> None:
    text = problems('[systems.hq.recordings]\nkind = "gopher"\nmax_parallel = -1\n')
    assert f"{WHERE}.kind: required" in text and f"{WHERE}.max_parallel: " in text
