"""The daemon's SMS part: ``[sms]`` read into the one settings model, parts chosen by the file, the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pytest

from bridge.config.loader import parse_config
from bridge.config.model import ConfigError
from bridge.sms.schedule import Job, Schedule, Scheduler

ENV = b'[environments.crm]\nurl = "https://crm.contoso.ir"\nstatic_token_env = "T"\n'
ENVIRON = {"T": "token", "HOOK": "hook-key", "PUSH": "push-key"}


def _parse(text: bytes):
    return parse_config(ENV + text, "bridge.toml", ENVIRON)


def test_an_sms_only_site_needs_no_systems_and_maps_onto_the_settings_model() -> None:
    config = _parse(b'[sms]\nenvironment = "crm"\nwebhook_key_env = "HOOK"\ntimezone = "Asia/Dubai"\n')
    assert config.systems == {} and config.sms is not None
    settings = config.sms.settings
    assert settings.sms_timezone == "Asia/Dubai" and settings.sms_webhook_key.reveal() == "hook-key"
    assert settings.dataverse.url.startswith("https://crm.contoso.ir")
    assert settings.sms_missed_after_s == 0 and config.sms.push_key is None  # poll-only: send at once
    assert str(config.sms.listen) == "127.0.0.1:9110"


def test_with_a_push_key_the_sweep_waits_for_pushes_as_in_azure() -> None:
    config = _parse(b'[sms]\nenvironment = "crm"\npush_key_env = "PUSH"\n')
    assert config.sms.settings.sms_missed_after_s == 120 and config.sms.push_key.reveal() == "push-key"


def test_held_texts_degrade_the_health_after_hold_late_after_s() -> None:
    assert _parse(b'[sms]\nenvironment = "crm"\n').sms.hold_late_after_s == 300
    assert _parse(b'[sms]\nenvironment = "crm"\nhold_late_after_s = 900\n').sms.hold_late_after_s == 900
    with pytest.raises(ConfigError) as error:
        _parse(b'[sms]\nenvironment = "crm"\nhold_late_after_s = 0\n')
    assert "sms.hold_late_after_s" in str(error.value)


def test_the_webhook_deadline_is_the_functions_setting_and_reaches_the_routes(tmp_path) -> None:
    from bridge.sms.host import SmsHost

    assert _parse(b'[sms]\nenvironment = "crm"\n').sms.settings.sms_webhook_deadline_s == 2
    part = _parse(b'[sms]\nenvironment = "crm"\nwebhook_deadline_s = 5\n').sms
    assert part.settings.sms_webhook_deadline_s == 5
    host = SmsHost(part, hold_path=tmp_path / "hold.db")
    assert host.routes._deadline.seconds == 5
    with pytest.raises(ConfigError) as error:
        _parse(b'[sms]\nenvironment = "crm"\nwebhook_deadline_s = 60\n')
    assert "sms.webhook_deadline_s" in str(error.value)


def test_neither_part_is_a_clear_error() -> None:
    with pytest.raises(ConfigError) as error:
        _parse(b"")
    assert "no telephony system is configured and no [sms] or [fax] part" in str(error.value)


def test_sms_mistakes_are_named_by_their_keys_and_never_echo_secrets() -> None:
    with pytest.raises(ConfigError) as error:
        _parse(
            b'[sms]\nenvironment = "crm"\ntimezone = "Mars/Base"\nwebhook_key = "inline-secret"\n'
            b'listen = "everywhere"\nsweep_intervl_s = 5\n'
        )
    text = str(error.value)
    assert "sms.listen" in text and "sms.sweep_intervl_s: unknown key" in text
    assert "inline-secret" not in text
    with pytest.raises(ConfigError) as error:
        _parse(b'[sms]\nenvironment = "elsewhere"\n')
    assert "sms.environment: no usable [environments.elsewhere]" in str(error.value)
    with pytest.raises(ConfigError) as error:
        _parse(b'[sms]\nenvironment = "crm"\ntimezone = "Mars/Base"\ncountry_code = 0\n')
    assert "sms.timezone is not a known time zone" in str(error.value) and "sms.country_code" in str(error.value)
    assert "COMMS_" not in str(error.value)


@pytest.mark.parametrize(
    ("every", "offset", "now", "due"),
    [
        (60, 0, "10:00:00", "10:01:00"),
        (60, 0, "10:00:59.5", "10:01:00"),
        (300, 30, "10:04:00", "10:05:30"),
        (300, 30, "10:05:30", "10:10:30"),
        (3600, 420, "10:08:00", "11:07:00"),
        (3600, 420, "23:59:00", "00:07:00"),
    ],
)
def test_schedules_fall_where_the_functions_app_ncrontab_times_fall(every, offset, now, due) -> None:
    day = datetime(2026, 5, 1, tzinfo=UTC)
    at = datetime.combine(
        day.date(), datetime.strptime(now, "%H:%M:%S" if "." not in now else "%H:%M:%S.%f").time(), UTC
    )
    expected = Schedule(every, offset).next_after(at)
    assert expected.strftime("%H:%M:%S") == due and expected > at


def test_the_scheduler_runs_each_job_at_its_time_and_goes_on_after_a_failure() -> None:
    now = [datetime(2026, 5, 1, 10, 0, 0, tzinfo=UTC)]
    calls: list[str] = []
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # the injected clock moves; nothing waits
        waits.append(seconds)
        now[0] += timedelta(seconds=seconds)
        if len(waits) >= 4:
            raise asyncio.CancelledError

    def failing() -> None:
        calls.append(now[0].strftime("%H:%M:%S"))
        raise RuntimeError("boom")

    job = Job("sms_sweep", Schedule(60), failing)
    asyncio.run(_quietly(Scheduler([job], clock=lambda: now[0], sleep=sleep).run()))
    assert calls == ["10:01:00", "10:02:00", "10:03:00"] and waits == [60, 60, 60, 60]
    assert (job.runs, job.failures) == (3, 3)


async def _quietly(coroutine) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        await coroutine
