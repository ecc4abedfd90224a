"""Loading one day of one dataset: stream chunks into file partitions, then the warehouse, then count.

Chunks go to the file sink's staging area and to a local Arrow spool; when the day is complete the
file partitions are published, the warehouse partitions replaced from the spool (one transaction
each), and the rows counted back from both for the parity check. Memory holds one chunk at a time.

Example::

    with DayLoad(ctx, "conversation_details", window) as load:
        load.add({"conversations": table, ...})
        outcomes = load.commit()
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import heapq
import itertools
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlparse
from urllib.request import url2pathname

import pyarrow as pa
import pyarrow.ipc as ipc

from gcexport.orgs import with_org
from gcexport.sinks.storage import LocalStorage

if TYPE_CHECKING:
    from gcexport.sinks import FileRecord, FileSink, Warehouse

__all__ = [
    "DayLoad",
    "LoadContext",
    "PartitionOutcome",
    "TurnGate",
    "WorkSlots",
]


class WorkSlots:
    """At most `count` days fetch and transform at once; a day that has all its rows and waits
    for the warehouse (one load at a time) gives its slot to the next day, so the warehouse and
    the transforms work side by side instead of in turns::

        with slots.hold():      # on a worker thread, for one day
            ...                 # fetch and transform
            slots.release()     # when the day only has the warehouse left to wait for
    """

    def __init__(self, count: int) -> None:
        self._free = threading.Semaphore(count)
        self._mine = threading.local()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        self._free.acquire()
        self._mine.held = True
        try:
            yield
        finally:
            self.release()

    def release(self) -> None:
        """Give this thread's slot back (a no-op if it holds none)."""
        if getattr(self._mine, "held", False):
            self._mine.held = False
            self._free.release()


T = TypeVar("T")


def held(warehouse: Warehouse | None) -> contextlib.AbstractContextManager[None]:
    """The warehouse held open (and its file locked) for one load, where it can let go between
    loads (DuckDB: other processes may open the file meanwhile); a no-op elsewhere."""
    hold = getattr(warehouse, "held", None)
    if hold is not None:
        return cast("contextlib.AbstractContextManager[None]", hold())
    return contextlib.nullcontext()


WAREHOUSE_TURN = -1  # before any page transform (their priorities are day ordinals, >= 1)


class TurnGate:
    """At most `count` holders at once, and a free place goes to the waiter with the lowest
    priority value (ties: first come, first served)::

        with gate.turn(day.toordinal()):   # the earliest day's page is transformed first
            ...

    Pages of the earliest days go first, so days finish one after another and each one's
    warehouse load runs while later days are still being transformed; with plain first-come
    turns, the days in flight advance together, finish together and queue for the warehouse at
    the end (measured: a 1,000,000-conversation export spent its last 45 s on one core, loading).
    """

    def __init__(self, count: int) -> None:
        if count < 1:
            raise ValueError("a TurnGate needs at least one place")
        self._count = self._free = count
        self._waiting: list[tuple[int, int]] = []
        self._arrivals = itertools.count()
        self._changed = threading.Condition()

    @contextlib.contextmanager
    def turn(self, priority: int, *, places: int = 1) -> Iterator[HeldPlaces]:
        """Hold `places` (at most all of them) from the moment no waiter goes before us; those
        not given back early (`HeldPlaces.give_back`) are given back at the end."""
        places = max(1, min(places, self._count))
        ticket = (priority, next(self._arrivals))
        with self._changed:
            heapq.heappush(self._waiting, ticket)
            try:
                self._changed.wait_for(lambda: self._free >= places and self._waiting[0] == ticket)
            except BaseException:
                self._waiting.remove(ticket)
                heapq.heapify(self._waiting)
                self._changed.notify_all()
                raise
            heapq.heappop(self._waiting)
            self._free -= places
            self._changed.notify_all()  # the next waiter may fit in a place still free
        held = HeldPlaces(self, places)
        try:
            yield held
        finally:
            held.give_back(held.places)

    def _give_back(self, places: int) -> None:
        with self._changed:
            self._free += places
            self._changed.notify_all()


class HeldPlaces:
    """The places of one `TurnGate.turn`; some can be given back before the turn ends."""

    def __init__(self, gate: TurnGate, places: int) -> None:
        self._gate, self.places = gate, places
        self._lock = threading.Lock()

    def give_back(self, places: int = 1) -> None:
        with self._lock:
            places = min(places, self.places)
            self.places -= places
        if places:
            self._gate._give_back(places)


@dataclass
class LoadContext:
    """What every load shares: the sinks, the run id and a lock that serialises warehouse work."""

    sink: FileSink
    warehouse: Warehouse | None
    run_id: str
    spool_root: Path
    warehouse_lock: threading.Lock = field(default_factory=threading.Lock)
    slots: WorkSlots = field(default_factory=lambda: WorkSlots(1))
    # One place per core, shared by page transforms (earliest day first) and the warehouse load
    # (before any page): while a day loads, one fewer page is transformed at a time.
    cores: TurnGate = field(default_factory=lambda: TurnGate(os.cpu_count() or 2))
    # Where warehouse loads run (None: on the calling thread): the export gives each lane a thread.
    warehouse_threads: ThreadPoolExecutor | None = None
    warehouse_lanes: int = 1  # tables of a day loaded side by side, where the warehouse can
    org: str | None = None  # set: every table gets an `org` column first (gcexport.orgs)

    def on_warehouse_threads(self, works: Sequence[Callable[[], T]]) -> list[T]:
        """Run each of `works` on a warehouse thread and wait for all; the first failure is
        raised once all have ended (none is left running on a database being closed)."""
        if self.warehouse_threads is None:
            return [work() for work in works]
        futures = [self.warehouse_threads.submit(work) for work in works]
        concurrent.futures.wait(futures)
        return [future.result() for future in futures]


@dataclass
class PartitionOutcome:
    """One published partition with the three row counts parity compares."""

    table: str
    day: date | None  # None for whole-table snapshots (lookups)
    api_rows: int
    file_rows: int
    warehouse_rows: int | None
    files: list[FileRecord]
    provisional: bool = False
    dataset: str = ""


class _TableLoad:
    """One table of one day: a file-partition writer plus an Arrow IPC spool."""

    def __init__(
        self, ctx: LoadContext, table: str, day: date, spool_dir: Path, *, spool: bool
    ) -> None:
        self.ctx, self.table, self.day = ctx, table, day
        self.writer = ctx.sink.open_partition(table, day, run_id=ctx.run_id)
        self.spool_path = spool_dir / f"{table}.arrow" if spool else None
        self.schema: pa.Schema | None = None
        self._spool: ipc.RecordBatchFileWriter | None = None
        self.rows = 0

    def write(self, chunk: pa.Table) -> None:
        if self.schema is None:
            self.schema = chunk.schema
            if self.spool_path is not None:
                self._spool = ipc.new_file(str(self.spool_path), chunk.schema)
        elif chunk.schema != self.schema:
            chunk = chunk.cast(self.schema)
        if self._spool is not None:
            self._spool.write_table(chunk)
        self.writer.write(chunk)
        self.rows += chunk.num_rows

    def close_spool(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def iter_spool(self) -> Iterator[pa.Table]:
        if self.schema is None:
            return
        assert self.spool_path is not None, "a table loaded from its Parquet files has no spool"
        # Plain reads, not a memory map: mapped pages stay resident (and count in RSS) until the
        # whole spool is unmapped, so a big day's load would hold the whole spool in memory.
        with pa.OSFile(str(self.spool_path)) as source:
            reader = ipc.open_file(source)
            for i in range(reader.num_record_batches):
                yield pa.Table.from_batches([reader.get_batch(i)])


class DayLoad:
    """All tables of one dataset for one day (or one snapshot), published together."""

    def __init__(
        self,
        ctx: LoadContext,
        dataset: str,
        day: date,
        *,
        schemas: Mapping[str, pa.Schema],
        snapshot: bool = False,
    ) -> None:
        self.ctx, self.dataset, self.day, self.snapshot = ctx, dataset, day, snapshot
        self.schemas = dict(schemas)
        ctx.spool_root.mkdir(parents=True, exist_ok=True)
        self.spool_dir = Path(tempfile.mkdtemp(prefix=f"{dataset}-{day}-", dir=ctx.spool_root))
        self.loads: dict[str, _TableLoad] = {}
        self.provisional = False
        # The warehouse reads a day's rows from the spool, or from the just-published local
        # Parquet files when it can (DuckDB): then no spool is written at all.
        wh = ctx.warehouse
        self._from_parquet = (
            wh is not None
            and not snapshot
            and hasattr(wh, "replace_partition_from_parquet")
            and ctx.sink.fmt == "parquet"
            and isinstance(ctx.sink.storage, LocalStorage)
        )
        self._spooled = wh is not None and not self._from_parquet

    def __enter__(self) -> DayLoad:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is not None:
            self.abort()
        shutil.rmtree(self.spool_dir, ignore_errors=True)

    def add(self, tables: Mapping[str, pa.Table]) -> None:
        """Append one chunk per table (empty chunks still make the partition exist)."""
        for name, chunk in tables.items():
            chunk = with_org(chunk, self.ctx.org)
            load = self.loads.get(name)
            if load is None:
                load = self.loads[name] = _TableLoad(
                    self.ctx, name, self.day, self.spool_dir, spool=self._spooled
                )
                self.schemas.setdefault(name, chunk.schema)
            load.write(chunk)

    def _ensure_all_tables(self) -> None:
        for name, schema in self.schemas.items():
            if name not in self.loads:
                self.add({name: schema.empty_table()})

    def commit(self) -> list[PartitionOutcome]:
        """Publish every file partition, replace the warehouse partitions, count rows back.

        All file partitions first: their writers (and buffered row groups) are freed before the
        day waits for the warehouse, which loads one partition at a time.
        """
        self._ensure_all_tables()
        self.ctx.slots.release()  # only publishing and the warehouse are left: let a day start
        published = []
        for load in self.loads.values():
            load.close_spool()
            result = load.writer.commit()
            published.append((load, result.files, self.ctx.sink.count_rows(load.table, self.day)))
        with self.ctx.warehouse_lock, held(self.ctx.warehouse):  # one day at a time
            rows = self._load_all(published)
        return [
            PartitionOutcome(
                table=load.table,
                day=None if self.snapshot else self.day,
                api_rows=load.rows,
                file_rows=file_rows,
                warehouse_rows=rows[load.table],
                files=list(files),
                provisional=self.provisional,
                dataset=self.dataset,
            )
            for load, files, file_rows in published
        ]

    def _load_all(
        self, published: list[tuple[_TableLoad, list[Any], int]]
    ) -> dict[str, int | None]:
        """Each table's rows counted back from the warehouse (None without one).

        The loads run on the warehouse threads, holding cores of `ctx.cores` before the next page
        transforms: a load that only got what the transforms left fell behind, and the last days
        then loaded alone at the end with the other cores idle (measured: 45 s of a 120 s,
        1,000,000-conversation export). Where the warehouse has `lanes` (DuckDB, from Parquet),
        the day's tables are shared out over the warehouse threads, biggest files first.
        """
        wh: Any = self.ctx.warehouse  # DuckDB's lanes and Parquet loads are beyond the protocol
        if wh is None:
            return {load.table: None for load, _, _ in published}
        lanes = min(self.ctx.warehouse_lanes, len(published))
        if lanes < 2 or not self._from_parquet or not hasattr(wh, "lanes"):
            group = [(load, files) for load, files, _ in published]
            with self.ctx.cores.turn(WAREHOUSE_TURN):
                return self.ctx.on_warehouse_threads(
                    [functools.partial(self._load_group, wh, group)]
                )[0]
        for load, _, _ in published:
            wh.ensure_table(load.table, load.schema or self.schemas[load.table])
        groups: list[list[tuple[_TableLoad, list[Any]]]] = [[] for _ in range(lanes)]
        sizes = [0] * lanes
        by_size = sorted(published, key=lambda p: -sum(record.bytes for record in p[1]))
        for load, files, _ in by_size:
            lane = sizes.index(min(sizes))
            groups[lane].append((load, files))
            sizes[lane] += sum(record.bytes for record in files)
        with wh.lanes(lanes) as handles, self.ctx.cores.turn(WAREHOUSE_TURN, places=lanes) as held:
            # A lane that is done gives its core back to the transforms at once.
            parts = self.ctx.on_warehouse_threads(
                [
                    functools.partial(self._load_group, handle, group, done=held.give_back)
                    for handle, group in zip(handles, groups, strict=True)
                ]
            )
        return {table: rows for part in parts for table, rows in part.items()}

    def _load_group(
        self,
        wh: Any,
        group: list[tuple[_TableLoad, list[Any]]],
        done: Callable[[], None] = lambda: None,
    ) -> dict[str, int | None]:
        try:
            return {load.table: self._load_warehouse(wh, load, files) for load, files in group}
        finally:
            done()

    def _load_warehouse(self, wh: Any, load: _TableLoad, published: Sequence[Any]) -> int:
        schema = load.schema or self.schemas[load.table]
        if self.snapshot:
            wh.replace_table(load.table, load.iter_spool(), schema)
            return int(wh.count_rows(load.table))
        if self._from_parquet:
            files = _local_paths(published)
            wh.replace_partition_from_parquet(load.table, self.day, files, schema)
        else:
            wh.replace_partition(load.table, self.day, load.iter_spool(), schema)
        return int(wh.count_rows(load.table, self.day))

    def abort(self) -> None:
        """Discard everything staged; published partitions stay as they were."""
        for load in self.loads.values():
            load.close_spool()
            load.writer.abort()


def _local_paths(published: Sequence[Any]) -> list[Path]:
    """The local paths of just-published files (`file://` URIs of a LocalStorage)."""
    return [Path(url2pathname(urlparse(record.uri).path)) for record in published]
