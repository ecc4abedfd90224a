"""The audit log tags records with their thread's context and scrubs every known secret."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from gcexport.audit import AuditLog
from gcexport.client import RequestRecord


def test_records_carry_context_and_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    with AuditLog(path, run_id="r1", secrets=["TOPSECRET-abc", "pw-12345"]) as audit:

        def worker(day: str) -> None:
            with audit.context(dataset="conversation_details", window=day):
                audit.request(
                    RequestRecord(
                        "GET", "/x", "/x?token=TOPSECRET-abc", 429, 1, 2.5, 0.1, 10, "c-1"
                    )
                )
                audit.write("note", text="password pw-12345 leaked?")

        threads = [threading.Thread(target=worker, args=(f"2026-11-2{i}",)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert audit.counts["requests"] == 4 and audit.counts["rate_limited"] == 4
        assert audit.counts["waited_s"] == 10.0
    text = path.read_text(encoding="utf-8")
    assert "TOPSECRET-abc" not in text and "pw-12345" not in text
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == 8
    requests = [r for r in records if r["type"] == "request"]
    assert sorted(r["window"] for r in requests) == [f"2026-11-2{i}" for i in range(4)]
    assert all(r["path"] == "/x?token=***" and r["run_id"] == "r1" for r in requests)
