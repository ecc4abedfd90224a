"""Benchmark: how fast the served emulator streams details-job results over loopback HTTP.

Run: `.venv/bin/python bench/bench_emulator.py [CONVERSATIONS]` — prints JSON. `cold` includes
generating the days on first touch; `warm` re-reads the same job once the days are cached.
The client does not parse every page (that would measure orjson, not the emulator): it counts
`"conversationId":` keys and reads the cursor from the page's tail. CPU seconds are the whole process (server thread and this client together), so they bound the
server's cost from above on a busy machine where wall time is noisy.
"""

from __future__ import annotations

import json
import re
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import orjson

from gcexport.emulator import Emulator, EmulatorConfig, serve

JOBS = "/api/v2/analytics/conversations/details/jobs"
_CURSOR = re.compile(rb'"cursor":"([^"]+)"')


def _stream(http: httpx.Client, interval: str) -> tuple[int, int, float, float]:
    """Submit a job, wait for it, read every page: (conversations, bytes, wall seconds, CPU seconds)."""
    started, cpu = time.perf_counter(), time.process_time()
    job_id = http.post(JOBS, json={"interval": interval}).json()["jobId"]
    for _ in range(600):
        if http.get(f"{JOBS}/{job_id}").json()["state"] == "FULFILLED":
            break
        time.sleep(0.01)
    count = size = 0
    params: dict[str, Any] = {"pageSize": 1000}
    while True:
        body = http.get(f"{JOBS}/{job_id}/results", params=params).content
        if not size:  # the first page is parsed in full, to prove the stream is well-formed JSON
            assert orjson.loads(body)["dataAvailabilityDate"]
        count += body.count(b'"conversationId":')  # exactly one per conversation
        size += len(body)
        cursor = _CURSOR.search(body[-400:])
        if cursor is None:
            return count, size, time.perf_counter() - started, time.process_time() - cpu
        params["cursor"] = cursor.group(1).decode()


def run(conversations: int = 100_000) -> dict[str, Any]:
    """Stream a one-day job holding `conversations` conversations, cold then warm."""
    now = datetime(2026, 3, 5, 12, tzinfo=timezone.utc)
    config = EmulatorConfig(
        seed=1, conversations_per_day=conversations, now=now, rate_limit=0, weekly_curve=False,
        job_queued_seconds=0, job_pending_seconds=0,
    )  # fmt: skip
    emu = Emulator(config)
    day = datetime(2026, 3, 3, tzinfo=timezone.utc)
    interval = f"{day:%Y-%m-%dT%H:%M:%S.000Z}/{day + timedelta(days=1):%Y-%m-%dT%H:%M:%S.000Z}"
    with serve(emu) as server, httpx.Client(base_url=server.base_url, timeout=120) as http:
        token = http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(config.client_id, config.client_secret),
        )
        http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        cold = _stream(http, interval)
        warm = _stream(http, interval)
    return {
        "benchmark": "emulator_job_results_http", "page_size": 1000, "conversations": warm[0],
        "cold_seconds": round(cold[2], 3), "cold_conversations_per_second": round(cold[0] / cold[2]),
        "warm_seconds": round(warm[2], 3), "warm_conversations_per_second": round(warm[0] / warm[2]),
        "cold_cpu_seconds": round(cold[3], 3), "warm_cpu_seconds": round(warm[3], 3),
        "warm_conversations_per_cpu_second": round(warm[0] / warm[3]),
        "megabytes": round(warm[1] / 1e6, 1),
    }  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000), indent=2))
