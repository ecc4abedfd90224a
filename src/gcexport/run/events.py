"""What the run tells whoever watches it: progress while days export, and each committed partition.

The run never draws on a terminal; the command layer passes a `RunReporter` (the rich progress
bar), the library a `SilentReporter` that forwards only `committed` events.

Example::

    class Collect(SilentReporter):
        def committed(self, partition: CommittedPartition) -> None:
            seen.append(partition)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

__all__ = ["CommittedPartition", "RunReporter", "SilentReporter"]


@dataclass(frozen=True)
class CommittedPartition:
    """One (dataset, table, day) as it lands: exported, counted and its day recorded in the state."""

    dataset: str
    table: str
    day: date
    api_rows: int | None
    file_rows: int
    warehouse_rows: int | None
    provisional: bool
    parity_ok: bool
    files: tuple[str, ...]
    bytes: int


class RunReporter(Protocol):
    """Progress events, called from worker threads (implementations lock what they share)."""

    def follow(self, counts: Mapping[str, float]) -> None:
        """The run's live counters (requests, rate_limited, waited_s), read while it runs."""

    def start(self, total: int, *, conversations: bool = False) -> None: ...

    def expect(self, conversations: int) -> None: ...

    def conversations(self, count: int) -> None: ...

    def rows(self, count: int) -> None: ...

    def task_done(self) -> None: ...

    def committed(self, partition: CommittedPartition) -> None: ...


class SilentReporter:
    """A `RunReporter` that shows nothing; `on_commit`, when given, receives each partition."""

    def __init__(self, on_commit: Callable[[CommittedPartition], None] | None = None) -> None:
        self._on_commit = on_commit

    def follow(self, counts: Mapping[str, float]) -> None:
        pass

    def start(self, total: int, *, conversations: bool = False) -> None:
        pass

    def expect(self, conversations: int) -> None:
        pass

    def conversations(self, count: int) -> None:
        pass

    def rows(self, count: int) -> None:
        pass

    def task_done(self) -> None:
        pass

    def committed(self, partition: CommittedPartition) -> None:
        if self._on_commit is not None:
            self._on_commit(partition)
