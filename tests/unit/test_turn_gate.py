"""TurnGate: a bounded number of holders, free places going to the lowest priority value first."""

from __future__ import annotations

import threading
import time

import pytest

from gcexport.loading import TurnGate


def _wait_until(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_waiters_enter_by_priority_not_by_arrival() -> None:
    gate = TurnGate(1)
    entered: list[int] = []
    holding = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with gate.turn(0):
            holding.set()
            release.wait(timeout=10)

    def waiter(priority: int) -> None:
        with gate.turn(priority):
            entered.append(priority)

    first = threading.Thread(target=holder)
    first.start()
    assert holding.wait(timeout=10)
    waiters = []
    for priority in (50, 10, 30, 10):  # arrive in this order while the only place is held
        thread = threading.Thread(target=waiter, args=(priority,))
        thread.start()
        waiters.append(thread)
        _wait_until(lambda n=len(waiters): len(gate._waiting) == n)
    release.set()
    for thread in [first, *waiters]:
        thread.join(timeout=10)
        assert not thread.is_alive()
    assert entered == [10, 10, 30, 50]


def test_as_many_holders_as_places_and_no_more() -> None:
    gate = TurnGate(2)
    inside = 0
    most = 0
    lock = threading.Lock()

    def work(priority: int) -> None:
        nonlocal inside, most
        with gate.turn(priority):
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.01)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=work, args=(i % 3,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive()
    assert most == 2
    assert inside == 0
    assert gate._free == 2 and gate._waiting == []


def test_a_place_is_given_back_when_the_holder_fails() -> None:
    gate = TurnGate(1)
    with pytest.raises(RuntimeError, match="boom"), gate.turn(1):
        raise RuntimeError("boom")
    entered = threading.Event()

    def later() -> None:
        with gate.turn(2):
            entered.set()

    thread = threading.Thread(target=later)
    thread.start()
    assert entered.wait(timeout=10)
    thread.join(timeout=10)


def test_a_gate_needs_a_place() -> None:
    with pytest.raises(ValueError, match="at least one place"):
        TurnGate(0)


def test_places_given_back_early_let_a_waiter_in_before_the_turn_ends() -> None:
    gate = TurnGate(2)
    entered = threading.Event()

    def waiter() -> None:
        with gate.turn(5):
            entered.set()

    with gate.turn(-1, places=5) as held:  # capped at the gate's two places
        assert held.places == 2 and gate._free == 0
        thread = threading.Thread(target=waiter)
        thread.start()
        _wait_until(lambda: len(gate._waiting) == 1)
        assert not entered.is_set()
        held.give_back()
        assert entered.wait(timeout=10)  # in while the turn still holds its other place
        thread.join(timeout=10)
        assert held.places == 1 and gate._free == 1
        held.give_back(3)  # more than held: gives back what it has
        assert held.places == 0
    assert gate._free == 2
