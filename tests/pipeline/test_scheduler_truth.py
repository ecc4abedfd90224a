"""The scheduler tells the truth: `--once` exits with the worst run's code, says what is due and when
each schedule runs next, and every schedule is validated before anything runs (issue #20)."""

from __future__ import annotations

import socket
from datetime import datetime, timezone
from pathlib import Path

import pytest

from gcexport.clock import FakeClock
from gcexport.commands.schedule import Scheduler
from gcexport.datasets.settings import load_settings
from gcexport.errors import ConfigError
from tests.conftest import TEST_NOW, clean_env, run_cli

UTC = timezone.utc


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_once_exits_with_the_failed_runs_code_and_says_what_is_not_due(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[export]\nout = "{tmp_path / "out"}"\nstate_dir = "{tmp_path / "state"}"\n'
        '[[schedules]]\nname = "always"\ncron = "* * * * *"\ndatasets = ["lookups"]\n'
        '[[schedules]]\nname = "new-year"\ncron = "0 0 1 1 *"\ndatasets = ["lookups"]\n',
        encoding="utf-8",
    )
    port = _closed_port()
    env = clean_env(
        GENESYS_API_URL=f"http://127.0.0.1:{port}",
        GENESYS_LOGIN_URL=f"http://127.0.0.1:{port}",
        GENESYS_CLIENT_ID="id",
        GENESYS_CLIENT_SECRET="secret",
    )
    result = run_cli(["schedule", "--config", str(config), "--once"], cwd=tmp_path, env=env)
    assert result.code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert "gcexport schedule: always is due; running lookups" in lines
    assert f"Cannot reach 127.0.0.1:{port}: connection refused" in result.stderr
    assert "gcexport schedule: always finished with exit code 1" in lines
    year = TEST_NOW.year + 1
    assert f"gcexport schedule: new-year is not due; next run {year}-01-01T00:00:00+00:00" in lines


def _settings(tmp_path: Path, *schedules: dict[str, object]) -> object:
    return load_settings(
        env={},
        dotenv_path=None,
        overrides={"export": {"state_dir": str(tmp_path)}, "schedules": list(schedules)},
    )


@pytest.mark.parametrize(
    ("schedules", "message"),
    [
        (
            [{"name": "feb30", "cron": "0 0 30 2 *"}],
            "Schedule 'feb30' has a cron expression '0 0 30 2 *' that never fires.",
        ),
        (
            [{"name": "../escape", "cron": "0 * * * *"}],
            "schedule name '../escape' must be 1-64 letters, digits, '_', '-' or '.'",
        ),
        (
            [{"name": "a", "cron": "0 * * * *"}, {"name": "a", "cron": "5 * * * *"}],
            "two schedules are named 'a'; names must be unique.",
        ),
        (
            [{"name": "kpis", "cron": "0 * * * *", "datasets": ["conversation_agregates"]}],
            "'schedules.1.datasets': unknown dataset 'conversation_agregates'",
        ),
    ],
)
def test_every_schedule_is_validated_before_anything_runs(
    tmp_path: Path, schedules: list[dict[str, object]], message: str
) -> None:
    runs: list[str] = []
    good = {"name": "first", "cron": "* * * * *"}  # listed first: it must not run either
    with pytest.raises(ConfigError) as info:
        Scheduler(
            _settings(tmp_path, good, *schedules),  # type: ignore[arg-type]
            clock=FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
            run=lambda spec: runs.append(spec.name) or 0,
        )
    assert message in str(info.value)
    assert info.value.exit_code == 2
    assert runs == [] and not (tmp_path / "schedule.json").exists()
