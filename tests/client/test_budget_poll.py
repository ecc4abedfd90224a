"""The poll policy that sees a quick job quickly: short first wait, growing ×1.5 to a cap."""

from __future__ import annotations

import itertools

from gcexport.api.paging import PollPolicy


def test_quick_first_starts_short_and_grows_to_the_cap() -> None:
    policy = PollPolicy.quick_first(15.0)
    waits = list(itertools.islice(policy.intervals(), 12))
    assert waits[:4] == [0.5, 0.75, 1.125, 1.6875]
    assert waits[-3:] == [15.0, 15.0, 15.0]
    assert policy == PollPolicy(initial=0.5, factor=1.5, max_interval=15.0, timeout=3600.0)


def test_a_job_ready_after_one_second_is_seen_at_one_and_a_quarter() -> None:
    seen, polls = 0.0, 1  # the status read right after the submit
    for wait in PollPolicy.quick_first(2.0).intervals():
        seen, polls = seen + wait, polls + 1
        if seen >= 1.0:
            break
    assert (seen, polls) == (1.25, 3)


def test_a_cap_below_the_first_wait_polls_at_the_cap() -> None:
    waits = list(PollPolicy.quick_first(0.25, timeout=1.0).intervals())
    assert waits == [0.25, 0.25, 0.25, 0.25]


def test_polls_stay_bounded_by_the_timeout() -> None:
    waits = list(PollPolicy.quick_first(15.0, timeout=600.0).intervals())
    assert sum(waits) <= 600.0
    assert len(waits) == 9 + 37  # nine growing waits (37.4 s), then 15 s each
