"""Stage 3, load: where every day's rows go — the file sink, the warehouse and a local spool.

The days load themselves as they finish (`gcexport.loading.DayLoad`, streaming one chunk at a time,
so no day is ever whole in memory); this stage opens what they share, for the whole run, and closes
it after the commit.

Example::

    with open_load(plan, run_id) as load:
        executed = execute(plan, windows, load, ...)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from gcexport.loading import LoadContext, WorkSlots
from gcexport.run.plan import Plan

__all__ = ["open_load"]


@contextlib.contextmanager
def open_load(plan: Plan, run_id: str) -> Iterator[LoadContext]:
    """The run's shared load context; the warehouse is closed and the spool removed at the end."""
    spool = Path(tempfile.mkdtemp(prefix="gcexport-spool-"))
    try:
        warehouse = plan.open_warehouse()
    except BaseException:
        shutil.rmtree(spool, ignore_errors=True)
        raise
    release = getattr(warehouse, "release", None)
    if release is not None:
        release()  # DuckDB: the file is held only while a day loads (loading.held)
    try:
        yield LoadContext(
            sink=plan.sink,
            warehouse=warehouse,
            run_id=run_id,
            spool_root=spool,
            slots=WorkSlots(plan.settings.export.workers),
            warehouse_lanes=min(2, os.cpu_count() or 1),
            org=plan.settings.org,
        )
    finally:
        if warehouse is not None:
            warehouse.close()
        shutil.rmtree(spool, ignore_errors=True)
