"""api/coalesce.py: ids from several requests leave as tasks of up to `chunk`, none lost."""

from __future__ import annotations

import threading

from api.coalesce import Coalescer


class Sent:
    def __init__(self) -> None:
        self.chunks: list[list[int]] = []
        self.event = threading.Event()

    def __call__(self, chunk: list[int]) -> None:
        self.chunks.append(chunk)
        self.event.set()


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
