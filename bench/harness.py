"""What the benchmarks share: the machine, a served emulator, the CLI in a measured subprocess, request kinds.

Example::

    with EmulatorHost(EmulatorConfig(rate_limit=0), prewarm=days) as host:
        run = run_measured(["export", "--start", "2026-03-01", ...], env=host.env())
        print(run.wall_s, run.peak_rss_mb, host.request_kinds())
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

import psutil

from gcexport.emulator import Emulator, EmulatorConfig, EmulatorServer, RequestRecord, serve

DAY_MS = 86_400_000
JOBS = "/api/v2/analytics/conversations/details/jobs"
QUERY = "/api/v2/analytics/conversations/details/query"


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM and the Python that ran the benchmarks."""
    return {
        "cpu": _cpu_model(),
        "cores_logical": psutil.cpu_count(logical=True),
        "cores_physical": psutil.cpu_count(logical=False),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass  # not Linux: fall back to what platform knows
    return platform.processor() or platform.machine()


def epoch_ms(moment: datetime) -> int:
    return int(moment.astimezone(timezone.utc).timestamp() * 1000)


class EmulatorHost:
    """A served emulator over loopback HTTP, its days generated before anything is timed."""

    def __init__(self, config: EmulatorConfig, *, prewarm: Iterable[datetime] = ()) -> None:
        self.emulator = Emulator(config)
        self.prewarm_days = list(prewarm)
        self.prewarm_s = 0.0
        self._server: EmulatorServer | None = None

    def __enter__(self) -> EmulatorHost:
        started = time.perf_counter()
        for day in self.prewarm_days:  # generation is the emulator's cost, not the exporter's
            self.emulator.backend.dataset.day(epoch_ms(day))
        self.prewarm_s = time.perf_counter() - started
        self._server = serve(self.emulator, host="127.0.0.1", port=0).start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "enter the host first"
        return self._server.base_url

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a `gcexport` process that talks to this emulator."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS_", "SNOWFLAKE_"))}
        env.update(
            GENESYS_CLIENT_ID=self.emulator.config.client_id,
            GENESYS_CLIENT_SECRET=self.emulator.config.client_secret,
            GENESYS_API_URL=self.base_url,
            GENESYS_LOGIN_URL=self.base_url,
        )
        env.update(extra)
        return env

    def request_kinds(self) -> Counter[str]:
        return classify(self.emulator.requests)


def classify(records: Iterable[RequestRecord]) -> Counter[str]:
    """Requests by purpose: token, availability, query, submit, poll, results, delete, other."""
    kinds: Counter[str] = Counter()
    for r in records:
        kinds[_kind(r.method, r.path)] += 1
    return kinds


def _kind(method: str, path: str) -> str:
    if path == "/oauth/token":
        return "token"
    if path == f"{JOBS}/availability":
        return "availability"
    if path == QUERY:
        return "query"
    if path == JOBS and method == "POST":
        return "submit"
    if path.startswith(JOBS + "/") and path.endswith("/results"):
        return "results"
    if path.startswith(JOBS + "/"):
        return "delete" if method == "DELETE" else "poll"
    return "other"


@dataclass
class MeasuredRun:
    """A finished subprocess: exit code, output, wall time, CPU time and memory."""

    code: int
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    rss_samples_mb: list[float] = field(default_factory=list)
    peak_anon_mb: float = 0.0  # RssAnon: the heap, without file-backed (mmap'ed) pages


def run_measured(args: list[str], *, env: dict[str, str], cwd: Path | None = None) -> MeasuredRun:
    """Run `python -m gcexport ARGS`; sample its RSS and high-water mark (VmHWM) every 50 ms.

    wait4's ru_maxrss is not used for the peak: it keeps the RSS the child inherited from this
    (large, emulator-holding) process at fork time, from before the exec.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "gcexport", *args],
            env=env, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        samples: list[float] = []
        peak: list[float] = [0.0, 0.0]  # VmHWM, RssAnon
        sampler = threading.Thread(target=_sample_rss, args=(proc.pid, samples, peak), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.join(5)
        out.seek(0)
        err.seek(0)
        return MeasuredRun(
            code=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            wall_s=wall,
            cpu_s=usage.ru_utime + usage.ru_stime,
            peak_rss_mb=max(peak[0], max(samples, default=0.0)),
            peak_anon_mb=peak[1],
            rss_samples_mb=samples,
        )


def _sample_rss(pid: int, samples: list[float], peak: list[float]) -> None:
    status = Path(f"/proc/{pid}/status")
    try:
        process = psutil.Process(pid)
        while process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
            samples.append(process.memory_info().rss / 2**20)
            fields = _status_mb(status)
            peak[0] = max(peak[0], fields.get("VmHWM", 0.0))
            peak[1] = max(peak[1], fields.get("RssAnon", 0.0))
            time.sleep(0.05)
    except (psutil.Error, OSError):
        return  # the process ended between two samples


def _status_mb(status: Path) -> dict[str, float]:
    """VmHWM (the kernel's peak RSS since exec) and RssAnon/RssFile, in MB (Linux only)."""
    found: dict[str, float] = {}
    for line in status.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "RssAnon", "RssFile"):
            found[key] = int(value.split()[0]) / 1024
    return found
