"""Operating gcexport: check, formats, S3 with presigned links, raw pages, the webhook, schedule."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from gcexport.clock import FakeClock
from gcexport.commands.schedule import Scheduler
from gcexport.datasets.settings import load_settings
from gcexport.errors import ConfigError
from gcexport.state import StateStore
from tests.conftest import CliResult, run_cli
from tests.pipeline.conftest import Served, export

UTC = timezone.utc


def _one_day(served: Served) -> tuple[str, str]:
    day = served.clock.now().date() - timedelta(days=2)
    return day.isoformat(), (day + timedelta(days=1)).isoformat()


def _export_day(served: Served, workdir: Path, dataset: str, *extra: str) -> CliResult:
    """`gcexport export` of one final day of one dataset."""
    start, end = _one_day(served)
    return export(served, workdir, "--start", start, "--end", end, "--dataset", dataset, *extra)


def test_check_passes_against_the_emulator_and_fails_on_a_wrong_secret(
    served: Served, tmp_path: Path
) -> None:
    ok = run_cli(
        ["check", "--set", f'export.out="{tmp_path / "out"}"'], cwd=tmp_path, env=served.env()
    )
    assert ok.code == 0, ok.stdout + ok.stderr
    lines = ok.stdout.splitlines()
    assert sum(line.startswith("PASS") for line in lines) == 9  # divisions: the client sees all 3
    assert "9 of 9 checks passed" in lines[-1]
    bad = run_cli(["check"], cwd=tmp_path, env=served.env(GENESYS_CLIENT_SECRET="wrong-secret"))
    assert bad.code == 1
    assert any(line.startswith("FAIL  credentials") for line in bad.stdout.splitlines())
    assert "wrong-secret" not in bad.stdout + bad.stderr


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_other_formats_export_with_parity(served: Served, tmp_path: Path, fmt: str) -> None:
    start, end = _one_day(served)
    result = export(
        served,
        tmp_path,
        "--start",
        start,
        "--end",
        end,
        "--format",
        fmt,
        "--dataset",
        "conversation_details",
        "--json",
    )
    assert result.code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["parity_ok"] is True
    files = list((tmp_path / "out" / "segments" / f"date={start}").glob(f"*.{fmt}"))
    assert files, f"no .{fmt} files"
    rows = summary["tables"]["segments"]["file_rows"]
    if fmt == "jsonl":
        assert sum(len(f.read_text().splitlines()) for f in files) == rows
    else:
        assert sum(len(f.read_text().splitlines()) - 1 for f in files) == rows


def test_raw_pages_are_kept_on_request(served: Served, tmp_path: Path) -> None:
    result = _export_day(
        served, tmp_path, "conversation_details", "--set", "export.raw_pages=true", "--json"
    )
    assert result.code == 0, result.stderr
    raw = list((tmp_path / "out" / "_raw").rglob("*.jsonl.gz"))
    assert len(raw) == 1
    manifest = json.loads(
        Path(json.loads(result.stdout)["manifest"].removeprefix("file://")).read_text()
    )
    assert any(f["table"] == "_raw/conversation_details" for f in manifest["files"])


@pytest.fixture
def moto_s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        yield endpoint
    finally:
        server.stop()


def test_s3_export_is_encrypted_and_presigned_links_download_the_right_bytes(
    served: Served, tmp_path: Path, moto_s3: str
) -> None:
    import boto3

    aws = {
        "AWS_ENDPOINT_URL": moto_s3,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_s3,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket="lake")
    start, end = _one_day(served)
    args = [
        "export",
        "--start",
        start,
        "--end",
        end,
        "--dataset",
        "conversation_details",
        "--out",
        "s3://lake/genesys",
        "--warehouse",
        f"duckdb://{tmp_path / 'wh.duckdb'}",
        "--state-dir",
        str(tmp_path / "state"),
        "--presign",
        "1h",
        "--json",
        "--requests-per-minute",
        "6000",
    ]
    result = run_cli(args, cwd=tmp_path, env=served.env(**aws))
    assert result.code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["parity_ok"] is True
    keys = [
        o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix="genesys/segments/")["Contents"]
    ]
    assert keys
    for key in keys:
        assert s3.head_object(Bucket="lake", Key=key)["ServerSideEncryption"] == "AES256"
    assert summary["presigned"]
    for uri, url in list(summary["presigned"].items())[:3]:
        body = httpx.get(url, timeout=10).content
        assert hashlib.sha256(body).hexdigest() == summary["checksums"][uri]


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, object]]] = []
    status = 204

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[tuple[str, type[_Hook]]]:
    handler = type("Hook", (_Hook,), {"received": [], "status": 204})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    finally:
        server.shutdown()


@pytest.mark.parametrize("status", [204, 500])
def test_webhook_gets_the_summary_and_its_failure_never_fails_the_export(
    served: Served, tmp_path: Path, hook: tuple[str, type[_Hook]], status: int
) -> None:
    url, handler = hook
    handler.status = status
    result = _export_day(
        served, tmp_path, "lookups", "--set", f'webhook.url="{url}"', "--set", "webhook.attempts=2"
    )
    assert result.code == 0, result.stderr
    assert len(handler.received) == (1 if status == 204 else 2)
    assert handler.received[0]["status"] == "success"
    assert handler.received[0]["parity_ok"] is True
    assert served.secret not in json.dumps(handler.received)
    audit = [json.loads(x) for x in (tmp_path / "state" / "audit.jsonl").read_text().splitlines()]
    webhook = [r for r in audit if r["type"] == "webhook"]
    assert webhook[-1]["delivered"] is (status == 204)
    if status == 500:
        assert "webhook not delivered after 2 attempts" in result.stderr


def _settings(tmp_path: Path, cron: str = "0 * * * *") -> object:
    return load_settings(
        env={},
        dotenv_path=None,
        overrides={
            "export": {"state_dir": str(tmp_path)},
            "schedules": [{"name": "hourly", "cron": cron}],
        },
    )


def test_scheduler_catches_up_a_missed_run_once_and_then_waits(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    runs: list[str] = []
    scheduler = Scheduler(
        _settings(tmp_path), clock=clock, run=lambda spec: runs.append(spec.name) or 0
    )  # type: ignore[arg-type]
    assert scheduler.tick() == [("hourly", 0)]  # due at 10:00 exactly
    clock.advance(30 * 60)
    assert scheduler.tick() == []  # 10:30: nothing due
    clock.advance(3 * 3600)  # 13:30 — 11:00, 12:00 and 13:00 were missed (the machine slept)
    restarted = Scheduler(
        _settings(tmp_path), clock=clock, run=lambda spec: runs.append(spec.name) or 0
    )  # type: ignore[arg-type]
    assert restarted.tick() == [("hourly", 0)]  # caught up once
    assert restarted.tick() == []
    assert restarted.seconds_until_next(clock.now()) == pytest.approx(30 * 60)
    assert runs == ["hourly", "hourly"]


def test_once_with_a_new_schedule_catches_up_its_first_slot(tmp_path: Path) -> None:
    """`schedule --once` (a new Scheduler and one tick each time, as from a timer at :05) runs a
    new schedule's first slot after it was first seen; it never ran without saved state."""
    clock = FakeClock(datetime(2026, 11, 23, 10, 5, tzinfo=UTC))
    runs: list[str] = []
    said: list[str] = []

    def once() -> list[tuple[str, int]]:
        scheduler = Scheduler(
            _settings(tmp_path), clock=clock, run=lambda spec: runs.append(spec.name) or 0
        )  # type: ignore[arg-type]
        return scheduler.tick(say=said.append)

    assert once() == []  # 10:05: first seen, its next slot is 11:00
    assert said == ["hourly is not due; next run 2026-11-23T11:00:00+00:00"]
    clock.advance(3600)  # 11:05: the 11:00 slot came and went
    assert once() == [("hourly", 0)]
    assert once() == []  # caught up once
    clock.advance(3600)  # 12:05
    assert once() == [("hourly", 0)]
    assert runs == ["hourly", "hourly"]


def test_scheduler_skips_a_schedule_another_process_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    scheduler = Scheduler(_settings(tmp_path), clock=clock, run=lambda spec: 0)  # type: ignore[arg-type]
    with StateStore(tmp_path).lock("schedule-hourly.lock"):
        assert scheduler.tick() == []
    assert "holds" in capsys.readouterr().err
    assert scheduler.tick() == [("hourly", 0)]


def test_scheduler_rejects_bad_cron_and_no_schedules(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid cron expression"):
        Scheduler(_settings(tmp_path, cron="every hour"), clock=FakeClock(), run=lambda s: 0)  # type: ignore[arg-type]
    empty = load_settings(env={}, dotenv_path=None)
    with pytest.raises(ConfigError, match="no \\[\\[schedules\\]\\]"):
        Scheduler(empty, clock=FakeClock(), run=lambda s: 0)


def test_schedule_command_stops_cleanly_on_sigterm(served: Served, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[export]\nout = "{tmp_path / "out"}"\nstate_dir = "{tmp_path / "state"}"\n'
        'datasets = ["lookups"]\n[[schedules]]\nname = "often"\ncron = "* * * * *"\n',
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "gcexport", "schedule", "--config", str(config)],
        cwd=tmp_path,
        env=served.env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    try:
        # SIGTERM only once the handler is installed (the first line says so): on a loaded
        # machine the interpreter can take longer than any fixed sleep to get there.
        first = proc.stderr.readline()
        assert "SIGTERM stops after the current run" in first, first
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0
    assert "Traceback" not in proc.stderr.read()
