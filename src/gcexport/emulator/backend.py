"""Emulator state without HTTP: the clock, the org, the conversation dataset and the data watermark."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Protocol

from gcexport.emulator.config import EmulatorConfig
from gcexport.emulator.dataset import Dataset
from gcexport.emulator.divisions import permitted
from gcexport.emulator.org import Org, build_org
from gcexport.emulator.wire import to_ms


class ClockLike(Protocol):
    """Any clock with an aware-UTC `now()` and a `monotonic()` (gcexport's FakeClock fits)."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class RealClock:
    """Wall time, or a frozen `now` with real monotonic time."""

    def __init__(self, frozen: datetime | None = None) -> None:
        self._frozen = frozen

    def now(self) -> datetime:
        return self._frozen or datetime.now(timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic()

    def __repr__(self) -> str:
        return f"RealClock(frozen={self._frozen!r})"


class Backend:
    """Shared state every route reads: configuration, clock, org and conversations."""

    def __init__(self, config: EmulatorConfig, clock: ClockLike | None) -> None:
        self.config = config
        self.clock: ClockLike = clock or RealClock(config.now)
        self.org: Org = build_org(config.seed)
        self.dataset = Dataset(
            config.seed, self.org, config.conversations_per_day,
            weekly=config.weekly_curve, cached_days=config.cached_days,
            long_lived=config.has("long-lived"),
        )  # fmt: skip
        # What the client's role covers: None = every division (mode division-scoped: the home one)
        self.divisions: frozenset[str] | None = (
            frozenset(d["id"] for d in permitted(self.org, config))
            if config.has("division-scoped")
            else None
        )

    def visible(self, division: dict[str, Any] | None) -> bool:
        """Whether the client sees a division object (queue, user, wrap-up code) of `division`."""
        return self.divisions is None or (division or {}).get("id") in self.divisions

    def now_ms(self) -> int:
        """The emulator's "now" in epoch milliseconds."""
        return to_ms(self.clock.now())

    def watermark_ms(self) -> int:
        """`dataAvailabilityDate`: now minus the configured lag, whole seconds (§10)."""
        mark = self.now_ms() - int(self.config.availability_lag.total_seconds() * 1000)
        return mark - mark % 1000
