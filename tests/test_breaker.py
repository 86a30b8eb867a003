"""The circuit breaker in front of Redis: open after a failure, one trial per cooldown, closed by
a success, and one WARNING per opening and per closing."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import pytest

from vigie.breaker import BreakerOpen, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Hung(Exception):
    pass


def _fail() -> None:
    raise Hung


def _ok() -> None:
    """A call that answers."""


def _states(
    breaker: CircuitBreaker, clock: Clock, calls: list[tuple[float, Callable[[], None]]]
) -> list[str]:
    """Run each call at its time; what happened: ok, failed or skipped."""
    seen = []
    for at, call in calls:
        clock.now = at
        try:
            breaker.run(call, (Hung,))
            seen.append("ok")
        except Hung:
            seen.append("failed")
        except BreakerOpen:
            seen.append("skipped")
    return seen


def test_it_skips_after_a_failure_until_the_cooldown_then_closes_on_a_trial_success(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Fail, skip for 5 s, one failed trial, skip 5 s more, a good trial closes it for good."""
    clock = Clock()
    breaker = CircuitBreaker("Redis at 127.0.0.1:6379", cooldown_s=5, clock=clock)
    caplog.set_level(logging.WARNING, logger="vigie.breaker")
    seen = _states(
        breaker,
        clock,
        [
            (100, _ok),
            (101, _fail),
            (102, _ok),
            (105.9, _ok),
            (106, _fail),
            (110.9, _ok),
            (111, _ok),
            (111.1, _ok),
        ],
    )
    assert seen == ["ok", "failed", "skipped", "skipped", "failed", "skipped", "ok", "ok"]
    assert breaker.state == "closed"
    assert breaker.openings == 1
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert messages == [
        (
            logging.WARNING,
            "Redis at 127.0.0.1:6379 failed (Hung); skipping it for 5 s at a time until it answers",
        ),
        (logging.WARNING, "Redis at 127.0.0.1:6379 answers again; no longer skipped"),
    ]


def test_it_lets_one_trial_through_at_a_time() -> None:
    """Half-open: while the trial call is in flight, other callers are skipped."""
    clock = Clock()
    breaker = CircuitBreaker("Redis", cooldown_s=5, clock=clock)
    with pytest.raises(Hung):
        breaker.run(_fail, (Hung,))
    clock.now += 5
    during: list[str] = []

    def trial() -> None:
        during.append(breaker.state)
        with pytest.raises(BreakerOpen):
            breaker.run(lambda: None, (Hung,))

    breaker.run(trial, (Hung,))
    assert during == ["half-open"]
    assert breaker.state == "closed"


def test_an_error_that_is_not_a_failure_leaves_it_as_it_was() -> None:
    """Redis answering with an error is the caller's problem, not an outage: a closed breaker
    stays closed, and a trial that ends so lets the next call try again."""
    clock = Clock()
    breaker = CircuitBreaker("Redis", cooldown_s=5, clock=clock)
    with pytest.raises(ValueError):
        breaker.run(lambda: int("x"), (Hung,))
    assert breaker.state == "closed"
    with pytest.raises(Hung):
        breaker.run(_fail, (Hung,))
    clock.now += 5
    with pytest.raises(ValueError):
        breaker.run(lambda: int("x"), (Hung,))
    assert breaker.state == "open"
    assert breaker.run(lambda: 42, (Hung,)) == 42, "tried at once, not after another cooldown"
    assert breaker.state == "closed"


@pytest.mark.parametrize(("late", "expected"), [(_ok, "closed"), (_fail, "open")])
def test_a_trial_ending_in_an_error_keeps_what_another_call_decided_meanwhile(
    late: Callable[[], None], expected: str
) -> None:
    """While the trial is in flight, a call started before the failure answers (closing the
    breaker) or fails (opening it anew): the trial's error, not a failure, keeps that state
    rather than reopening a closed breaker, or letting the next call try a failed Redis."""
    clock = Clock()
    breaker = CircuitBreaker("Redis", cooldown_s=5, clock=clock)
    started, finish = threading.Event(), threading.Event()

    def stale() -> None:
        started.set()  # admitted while closed
        finish.wait(10)
        late()

    thread = threading.Thread(target=lambda: _states(breaker, clock, [(clock.now, stale)]))
    thread.start()
    assert started.wait(10)
    with pytest.raises(Hung):
        breaker.run(_fail, (Hung,))
    clock.now += 5

    def trial() -> None:
        finish.set()
        thread.join(10)  # the stale call has answered or failed
        raise ValueError("an error of the caller's, not a failure")

    with pytest.raises(ValueError):
        breaker.run(trial, (Hung,))
    assert breaker.state == expected
    if expected == "open":
        with pytest.raises(BreakerOpen):
            breaker.run(_ok, (Hung,))
