"""Benchmark: conversation pages (JSON bytes) → Arrow tables → Parquet, beside a naive baseline.

The baseline is what the tutorials do: `json.loads` each page, `pandas.json_normalize` once per
table (`record_path` into participants, sessions, segments, metrics) and `DataFrame.to_parquet`.
Both run in the same process on the same pages, on one core (Arrow's thread pools set to 1), and
both stream page batch by page batch, so the ratio is measured, not assumed.

The Arrow path writes through the exporter's own `TableFileWriter` (its Parquet options and
row groups); `split_cpu_s` times the JSON reader alone and the flatten alone on the same calls.

Input: the real captured conversations in `genesys-api/samples/` cloned with fresh ids into
pages of 100 conversations (the details query's maximum page size).

    .venv/bin/python bench/bench_transform.py --conversations 20000
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.json as pj

from gcexport.sinks.formats import TableFileWriter, write_table_bytes
from gcexport.transform import TABLE_SCHEMAS, flatten_conversation_pages

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "genesys-api" / "samples"
if not SAMPLES.exists():
    SAMPLES = Path("/work/shared/genesys-api/samples")
TEMPLATE_FILES = (
    "details-job-results.page-with-cursor.xfaith4-fixture.json",
    "details-job-results.xfaith4-2024-04-05.subset.json",
    "details-query-response.page2.splunk-mock.json",
    "details-query-response.developer-tools-2016.json",
)
PAGE_SIZE = 100


def load_templates(source: str = "samples") -> list[dict[str, Any]]:
    """Every real captured conversation (the hand-edited blueprint with broken dates excluded),
    or one emulated day of job-result conversations (with participant attributes)."""
    if source == "emulator":
        from datetime import datetime, timedelta, timezone

        from gcexport.emulator import Emulator, EmulatorConfig

        day = datetime(2026, 11, 18, tzinfo=timezone.utc)
        emu = Emulator(
            EmulatorConfig(seed=1, conversations_per_day=1000, now=day + timedelta(days=2))
        )
        return emu.truth.conversations(day, day + timedelta(days=1))
    out: list[dict[str, Any]] = []
    for name in TEMPLATE_FILES:
        out.extend(json.loads((SAMPLES / name).read_text())["conversations"])
    return out


def make_pages(
    conversations: int, page_size: int = PAGE_SIZE, source: str = "samples"
) -> list[bytes]:
    """Compact response bodies, each conversation a template with new conversation/participant/session ids."""
    templates = [orjson.dumps(t) for t in load_templates(source)]
    ids = [_ids(json.loads(t)) for t in templates]
    pages, batch = [], []
    for i in range(conversations):
        k = i % len(templates)
        text = templates[k].decode()
        for old in ids[k]:
            text = text.replace(old, str(uuid.UUID(int=hash((old, i)) & (2**128 - 1))))
        batch.append(text)
        if len(batch) == page_size:
            pages.append(('{"conversations":[' + ",".join(batch) + '],"totalHits":1}').encode())
            batch = []
    if batch:
        pages.append(('{"conversations":[' + ",".join(batch) + '],"totalHits":1}').encode())
    return pages


def _ids(conversation: dict[str, Any]) -> list[str]:
    found = [conversation["conversationId"]]
    for part in conversation.get("participants", []):
        found.append(part["participantId"])
        found.extend(s["sessionId"] for s in part.get("sessions", []) if "sessionId" in s)
    return found


def run_arrow(pages: list[bytes], out: Path, pages_per_call: int) -> dict[str, float]:
    """The gcexport path: flatten a batch of raw pages, append every table to its Parquet file."""
    writers = {  # the exporter's own Parquet writer and options
        name: TableFileWriter(out / f"{name}.parquet", "parquet", schema=schema)
        for name, schema in TABLE_SCHEMAS.items()
        if name in _DETAIL
    }
    peak_arrow = 0
    for batch in _batches(pages, pages_per_call):
        result = flatten_conversation_pages(batch, source="bench")
        for name, table in result.tables.items():
            writers[name].write(table)
        peak_arrow = max(peak_arrow, pa.total_allocated_bytes())
        del result
    for writer in writers.values():
        writer.close()
    return {"peak_arrow_bytes": peak_arrow}


def run_reader_only(pages: list[bytes], out: Path, pages_per_call: int) -> dict[str, float]:
    """Arrow's JSON reader alone, as the transform calls it (types inferred, one block a call):
    the floor under the whole path on one core."""
    for batch in _batches(pages, pages_per_call):
        body = b"\n".join(batch)
        options = pj.ReadOptions(use_threads=False, block_size=len(body) + 1)
        pj.read_json(pa.BufferReader(body), read_options=options)
    return {}


def run_flatten_only(pages: list[bytes], out: Path, pages_per_call: int) -> dict[str, float]:
    """The JSON pages -> six Arrow tables step alone (no Parquet)."""
    for batch in _batches(pages, pages_per_call):
        flatten_conversation_pages(batch, source="bench")
    return {}


_DETAIL = (
    "conversations",
    "participants",
    "sessions",
    "segments",
    "session_metrics",
    "participant_attributes",
)
_META = ["conversationId", "conversationStart"]


def run_baseline(pages: list[bytes], out: Path, pages_per_call: int) -> dict[str, float]:
    """The tutorial path: json.loads + pandas.json_normalize per table + to_parquet, per batch."""
    for n, batch in enumerate(_batches(pages, pages_per_call)):
        conversations = [c for page in batch for c in json.loads(page).get("conversations", [])]
        for c in conversations:  # json_normalize's record_path needs every level present
            for p in c.setdefault("participants", []):
                for s in p.setdefault("sessions", []):
                    s.setdefault("segments", [])
                    s.setdefault("metrics", [])
        frames = {
            "conversations": pd.json_normalize(conversations),
            "participants": pd.json_normalize(conversations, ["participants"], _META),
            "sessions": pd.json_normalize(
                conversations,
                ["participants", "sessions"],
                [*_META, ["participants", "participantId"]],
            ),
            "segments": pd.json_normalize(
                conversations,
                ["participants", "sessions", "segments"],
                [
                    *_META,
                    ["participants", "participantId"],
                    ["participants", "sessions", "sessionId"],
                ],
            ),
            "session_metrics": pd.json_normalize(
                conversations,
                ["participants", "sessions", "metrics"],
                [
                    *_META,
                    ["participants", "participantId"],
                    ["participants", "sessions", "sessionId"],
                ],
            ),
        }
        for name, frame in frames.items():
            _stringify_nested(frame).to_parquet(out / f"{name}-{n}.parquet", compression="zstd")
    return {}


def _stringify_nested(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists and dicts left in object columns are dumped as JSON (as the tutorials do)."""
    for column in frame.columns:
        if (
            frame[column].dtype == object
            and frame[column].map(lambda v: isinstance(v, (list, dict))).any()
        ):
            frame[column] = frame[column].map(
                lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v
            )
    return frame


def parquet_writer_alone(pages: list[bytes]) -> float:
    """CPU seconds to write the flattened tables of `pages` as Parquet with the exporter's options,
    the tables built beforehand (not timed), whole, one file each."""
    results = [flatten_conversation_pages([page], source="bench") for page in pages]
    # One contiguous chunk per column: the writer's own cost, not that of walking 100-row chunks.
    tables = [
        pa.concat_tables([r.tables[name] for r in results]).combine_chunks()
        for name in results[0].tables
    ]
    del results
    gc.collect()
    start = time.process_time()
    for table in tables:
        write_table_bytes(table, "parquet")
    return time.process_time() - start


def _batches(pages: list[bytes], size: int) -> Iterator[list[bytes]]:
    for i in range(0, len(pages), size):
        yield pages[i : i + size]


def _timed(
    fn: Callable[[list[bytes], Path, int], dict[str, float]], pages: list[bytes], per_call: int
) -> dict[str, float]:
    gc.collect()
    process = psutil.Process()
    rss_before = process.memory_info().rss
    with tempfile.TemporaryDirectory() as tmp:
        start, cpu_start = time.perf_counter(), time.process_time()
        extra = fn(pages, Path(tmp), per_call)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        written = sum(f.stat().st_size for f in Path(tmp).iterdir())
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "parquet_bytes": written,
        "rss_growth_bytes": process.memory_info().rss - rss_before,
        **extra,
    }


def run(
    conversations: int = 20_000,
    *,
    pages_per_call: int = 10,
    baseline: bool = True,
    source: str = "samples",
) -> dict[str, Any]:
    """Rates in conversations/s (JSON bytes → Parquet on disk), peak memory, and the ratio to the baseline."""
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    pages = make_pages(conversations, source=source)
    input_bytes = sum(len(p) for p in pages)
    arrow = _timed(run_arrow, pages, pages_per_call)
    per_page = _timed(run_arrow, pages, 1)
    half = _timed(run_arrow, pages[: len(pages) // 2], pages_per_call)
    read = _timed(run_reader_only, pages, pages_per_call)["cpu_seconds"]
    writer_alone = parquet_writer_alone(pages)
    flatten = _timed(run_flatten_only, pages, pages_per_call)["cpu_seconds"]
    report: dict[str, Any] = {
        "conversations": conversations,
        "source": source,
        "page_size": PAGE_SIZE,
        "pages_per_call": pages_per_call,
        "input_mb": round(input_bytes / 1e6, 1),
        "bytes_per_conversation": input_bytes // conversations,
        # CPU seconds of this process: the one-core rate, unaffected by other load on the machine.
        "rate_conversations_per_cpu_s": round(conversations / arrow["cpu_seconds"]),
        "rate_mb_per_cpu_s": round(input_bytes / 1e6 / arrow["cpu_seconds"], 1),
        "rate_conversations_per_wall_s": round(conversations / arrow["seconds"]),
        "rate_one_page_per_call_per_cpu_s": round(conversations / per_page["cpu_seconds"]),
        # Where one core's time goes (separate runs, so the parts need not sum exactly).
        "split_cpu_s": {
            "json_read": round(read, 3),
            "flatten_after_read": round(flatten - read, 3),
            "parquet_write": round(arrow["cpu_seconds"] - flatten, 3),
        },
        "rate_json_read_only_per_cpu_s": round(conversations / read),
        # The ceiling of any transform writing these tables with pyarrow's Parquet writer: the
        # finished tables (whole, in memory, one row group each) written with nothing else to do.
        "rate_parquet_writer_alone_per_cpu_s": round(conversations / writer_alone),
        "peak_arrow_mb": round(arrow["peak_arrow_bytes"] / 1e6, 1),
        "peak_arrow_mb_half_the_input": round(half["peak_arrow_bytes"] / 1e6, 1),
        "rss_growth_mb": round(arrow["rss_growth_bytes"] / 1e6, 1),
        "parquet_mb": round(arrow["parquet_bytes"] / 1e6, 1),
        "load_average_1m": round(psutil.getloadavg()[0], 1),
        "cpu_count": psutil.cpu_count(),
    }
    if baseline:
        base = _timed(run_baseline, pages, pages_per_call)
        report["baseline_rate_conversations_per_cpu_s"] = round(conversations / base["cpu_seconds"])
        report["baseline_rate_conversations_per_wall_s"] = round(conversations / base["seconds"])
        report["ratio_vs_baseline_cpu"] = round(base["cpu_seconds"] / arrow["cpu_seconds"], 1)
        report["ratio_vs_baseline_wall"] = round(base["seconds"] / arrow["seconds"], 1)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--pages-per-call", type=int, default=10)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--source", choices=("samples", "emulator"), default="samples")
    parser.add_argument("--json", type=Path, help="also write the result to this file")
    args = parser.parse_args()
    options = {"pages_per_call": args.pages_per_call, "baseline": not args.no_baseline}
    text = json.dumps(run(args.conversations, source=args.source, **options), indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
