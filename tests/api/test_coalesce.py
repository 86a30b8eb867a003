"""api/coalesce.py: ids from several requests leave as tasks of up to `chunk`, none lost."""

from __future__ import annotations

import threading

from api.coalesce import Coalescer


class Sent:
    def __init__(self) -> None:
        self.chunks: list[list[int]] = []
        self.event = threading.Event()

    def __call__(self, chunk: list[int]) -> bool:
        self.chunks.append(chunk)
        self.event.set()
        return True


def test_it_sends_full_chunks_at_once_and_the_rest_on_flush() -> None:
    """250 ids with chunks of 100: two tasks at once, the last 50 when flushed."""
    sent = Sent()
    coalescer = Coalescer(sent, chunk=100, wait_s=3600)
    coalescer.add(list(range(120)))
    coalescer.add(list(range(120, 250)))
    assert [len(c) for c in sent.chunks] == [100, 100]
    coalescer.flush()
    assert [len(c) for c in sent.chunks] == [100, 100, 50]
    assert sorted(i for c in sent.chunks for i in c) == list(range(250))


def test_it_gathers_single_comments_into_one_task_after_the_wait() -> None:
    """Ids of several one-comment requests leave together once the wait is over."""
    sent = Sent()
    coalescer = Coalescer(sent, chunk=100, wait_s=0.05)
    for i in range(5):
        coalescer.add([i])
    assert sent.event.wait(10), "the timer never flushed"
    assert sent.chunks == [[0, 1, 2, 3, 4]]


def test_it_sends_each_request_at_once_with_no_wait() -> None:
    """VIGIE_ENQUEUE_WAIT=0: one task per request, as before coalescing."""
    sent = Sent()
    coalescer = Coalescer(sent, chunk=100, wait_s=0)
    coalescer.add([1])
    coalescer.add([2, 3])
    assert sent.chunks == [[1], [2, 3]]


class Broker:
    """A send that fails (broker down or skipped) until told it is back."""

    def __init__(self) -> None:
        self.up = False
        self.tried: list[list[int]] = []
        self.sent: list[list[int]] = []
        self.event = threading.Event()

    def __call__(self, chunk: list[int]) -> bool:
        self.tried.append(chunk)
        if self.up:
            self.sent.append(chunk)
            self.event.set()
        return self.up


def test_it_holds_what_the_broker_refused_and_sends_it_once_it_is_back() -> None:
    """A failed send keeps its ids (and the chunks after it, untried); a retry sends them."""
    broker = Broker()
    coalescer = Coalescer(broker, chunk=2, wait_s=0, retry_s=3600)
    coalescer.add([1, 2, 3])
    coalescer.add([4])
    assert broker.tried == [[1, 2], [4]], "one try per request; [3] held untried after [1, 2]"
    assert coalescer.held == [1, 2, 3, 4]
    coalescer.retry()
    assert coalescer.held == [1, 2, 3, 4], "still down: held again"
    broker.up = True
    coalescer.retry()
    assert broker.sent == [[1, 2], [3, 4]]
    assert coalescer.held == []


def test_it_retries_held_ids_on_its_own() -> None:
    """The retry timer sends the held ids without another request coming in."""
    broker = Broker()
    coalescer = Coalescer(broker, chunk=100, wait_s=0, retry_s=0.01)
    coalescer.add([7])
    broker.up = True
    assert broker.event.wait(10), "the retry timer never sent the held ids"
    assert broker.sent == [[7]]


def test_it_holds_a_bounded_number_of_ids() -> None:
    """Past max_held the ids are left to beat's sweep rather than held without end."""
    coalescer = Coalescer(Broker(), chunk=100, wait_s=0, retry_s=3600, max_held=3)
    coalescer.add([1, 2])
    coalescer.add([3, 4, 5])
    assert coalescer.held == [1, 2, 3]


def test_it_leaves_ids_held_too_long_to_the_sweep() -> None:
    """Past give_up_s (VIGIE_RESCUE_AFTER: the sweep re-enqueues them) held ids are dropped,
    counted from when they were first refused, not from the last failed retry."""
    now = [0.0]
    broker = Broker()
    coalescer = Coalescer(
        broker, chunk=100, wait_s=0, retry_s=3600, give_up_s=300, clock=lambda: now[0]
    )
    coalescer.add([1])
    now[0] = 200
    coalescer.retry()
    assert coalescer.held == [1]
    now[0] = 301
    coalescer.retry()
    assert coalescer.held == []
    assert broker.tried == [[1], [1]], "given up without another try"


def test_each_id_is_given_up_on_its_own_time() -> None:
    """An id refused at 200 s is not dropped with one refused at 0 s: the sweep would not
    re-enqueue it for another 200 s, so it is still tried (and held) until 500 s."""
    now = [0.0]
    broker = Broker()
    coalescer = Coalescer(
        broker, chunk=100, wait_s=0, retry_s=3600, give_up_s=300, clock=lambda: now[0]
    )
    coalescer.add([1])
    now[0] = 200
    coalescer.add([2])
    coalescer.retry()
    assert coalescer.held == [1, 2]
    now[0] = 301
    coalescer.retry()
    assert coalescer.held == [2], "1 is left to the sweep; 2 was refused 101 s ago"
    broker.up = True
    now[0] = 400
    coalescer.retry()
    assert broker.sent == [[2]]
    assert coalescer.held == []


def test_a_closed_coalescer_holds_and_retries_nothing() -> None:
    coalescer = Coalescer(Broker(), chunk=100, wait_s=0, retry_s=0.01)
    coalescer.add([1])
    coalescer.close()
    coalescer.add([2])
    assert (coalescer.held, coalescer.retry_timer) == ([], None)


def test_at_exit_it_sends_what_waits_once_and_holds_nothing() -> None:
    """The process is exiting: what waits is tried once, and what the broker refuses is left
    to the sweep rather than held by a retry timer started during interpreter shutdown."""
    broker = Broker()
    coalescer = Coalescer(broker, chunk=100, wait_s=3600, retry_s=0.01)
    coalescer.add([1, 2])
    coalescer.flush_at_exit()
    assert broker.tried == [[1, 2]]
    assert (coalescer.held, coalescer.retry_timer) == ([], None)
