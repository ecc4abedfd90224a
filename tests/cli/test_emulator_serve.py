"""`gcexport emulator serve` keeps the tool's time: its clock starts at `GCEXPORT_NOW`, and a bad
value is one sentence and exit 2, before it listens."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from tests.conftest import clean_env

# Far from any instant the suite or the wall clock runs at, so only a followed GCEXPORT_NOW passes.
NOW = datetime(2031, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
LAG = timedelta(hours=6)  # the emulator's default availability lag


def test_serve_follows_gcexport_now(tmp_path: Path) -> None:
    env = clean_env(GCEXPORT_NOW=NOW.isoformat().replace("+00:00", "Z"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "gcexport", "emulator", "serve", "--port", "0"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
        with httpx.Client(base_url=base, timeout=30) as http:
            token = http.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=("emulator-client", "emulator-secret"),
            ).json()["access_token"]
            reply = http.get(
                "/api/v2/analytics/conversations/details/jobs/availability",
                headers={"Authorization": f"Bearer {token}"},
            )
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert reply.status_code == 200
    mark = datetime.fromisoformat(reply.json()["dataAvailabilityDate"].replace("Z", "+00:00"))
    # The emulator's clock runs on from NOW: its watermark is NOW - lag plus the seconds it ran.
    assert NOW - LAG - timedelta(seconds=1) <= mark <= NOW - LAG + timedelta(minutes=2)
    assert proc.returncode == 0


def test_serve_with_a_bad_gcexport_now_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gcexport", "emulator", "serve", "--port", "0"],
        cwd=tmp_path, env=clean_env(GCEXPORT_NOW="next tuesday"), capture_output=True,
        text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "gcexport: error: GCEXPORT_NOW='next tuesday' is not a timestamp with a zone, such as "
        "2027-03-31T23:59:00Z\n"
    )
    assert list(tmp_path.iterdir()) == []
