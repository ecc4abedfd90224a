"""Emulator settings (`EmulatorConfig`) and the seeded fault plan spec it validates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

# accepted_5xx: the request is served (a job or export is created), then a gateway answers 502-504.
FAULT_KINDS = ("429", "5xx", "drop", "slow", "revoke", "job_fail", "accepted_5xx")
# Behaviours the real API MAY have (REFERENCE.md §16, unverified): each one is a switchable mode.
MODES = {
    "approximate-total-hits": "details query totalHits is an estimate, off by about 1%",
    "midnight-touches-next-day": "an interval ending at 00:00Z also matches the next day's conversations",
    "division-scoped": "the client is permitted only the home division: other divisions' conversations, "
    "aggregates, queues, users, wrap-up codes and agent time are hidden from it",
    "long-lived": "some emails, messages and callbacks stay open for days, are re-opened or get their wrap-up late",
}
# Permissions the client's role can be made to lack (`EmulatorConfig.missing_permissions`): the
# routes that need one answer 403 missing.permissions.
PERMISSIONS = ("authorization:division:view",)


@dataclass(frozen=True)
class FaultSpec:
    """Per-request probabilities of each fault, parsed from `429=0.1,5xx=0.05,...`."""

    rates: tuple[tuple[str, float], ...] = ()

    @classmethod
    def parse(cls, spec: str) -> FaultSpec:
        """Parse a spec string; raises ValueError with a one-line reason for a bad one."""
        rates: dict[str, float] = {}
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            kind, sep, value = part.partition("=")
            kind = kind.strip()
            if not sep or kind not in FAULT_KINDS:
                raise ValueError(
                    f"bad fault {part!r}: expected KIND=PROBABILITY with KIND in {', '.join(FAULT_KINDS)}"
                )
            try:
                rate = float(value)
            except ValueError:
                raise ValueError(f"bad fault {part!r}: probability is not a number") from None
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"bad fault {part!r}: probability must be between 0 and 1")
            rates[kind] = rate
        if sum(rate for kind, rate in rates.items() if kind != "job_fail") > 1.0:
            raise ValueError("bad fault spec: per-request probabilities add up to more than 1")
        return cls(tuple(rates.items()))

    def rate(self, kind: str) -> float:
        """Probability of `kind` (0 when not in the spec)."""
        return dict(self.rates).get(kind, 0.0)

    def __bool__(self) -> bool:
        return any(rate > 0 for _, rate in self.rates)


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything the emulator can be told; defaults give a calm, fault-free org.

    Example::

        EmulatorConfig(seed=7, conversations_per_day=5000, faults="429=0.1,drop=0.02")
    """

    seed: int = 1
    conversations_per_day: int = 1000
    now: datetime | None = None
    availability_lag: timedelta = timedelta(hours=6)
    rate_limit: int = 300
    # What one rate-limit window counts: each token's requests (as assumed so far) or every
    # token of the client together; which one Genesys counts is unverified (REFERENCE.md §9.1).
    rate_limit_key: str = "token"
    token_lifetime: int = 86400
    client_id: str = "emulator-client"
    client_secret: str = field(default="emulator-secret", repr=False)
    faults: str = ""
    job_queued_seconds: float = 0.5
    job_pending_seconds: float = 0.5
    job_expiry_seconds: float = 3600
    job_page_size_max: int = 1000
    slow_seconds: float = 2.0
    export_running_seconds: float = 1.0
    weekly_curve: bool = True
    cached_days: int = 3
    modes: tuple[str, ...] = ()
    missing_permissions: tuple[str, ...] = ()  # of PERMISSIONS: what the client's role lacks

    def __post_init__(self) -> None:
        FaultSpec.parse(self.faults)
        if self.now is not None and self.now.tzinfo is None:
            raise ValueError("EmulatorConfig.now must be timezone-aware (UTC)")
        if self.conversations_per_day < 0 or self.rate_limit < 0:
            raise ValueError("conversations_per_day and rate_limit must be >= 0")
        if self.rate_limit_key not in ("token", "client"):
            raise ValueError("rate_limit_key must be 'token' or 'client'")
        if self.job_page_size_max < 1 or self.cached_days < 1:
            raise ValueError("job_page_size_max and cached_days must be >= 1")
        unknown = sorted(set(self.modes) - set(MODES))
        if unknown:
            raise ValueError(f"unknown mode {unknown[0]!r}: expected one of {', '.join(MODES)}")
        unknown = sorted(set(self.missing_permissions) - set(PERMISSIONS))
        if unknown:
            raise ValueError(
                f"unknown permission {unknown[0]!r}: expected one of {', '.join(PERMISSIONS)}"
            )

    def has(self, mode: str) -> bool:
        """Whether the switchable behaviour `mode` (one of MODES) is on."""
        return mode in self.modes

    @property
    def fault_spec(self) -> FaultSpec:
        """The parsed fault plan."""
        return FaultSpec.parse(self.faults)
