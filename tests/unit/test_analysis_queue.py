"""The clinic server's analysis queue (issue 13): never more than its bound at once, first come
first served, a waiter told how many are ahead, and a waiter that gives up leaves no trace."""

from __future__ import annotations

import threading
import time

import pytest

from lumbar_rom.app.service import AnalysisQueue


def test_at_most_limit_run_at_once_and_all_finish():
    q = AnalysisQueue(2)
    lock, now, peak, done = threading.Lock(), [0], [0], []

    def job(k: int) -> int:
        with lock:
            now[0] += 1
            peak[0] = max(peak[0], now[0])
        time.sleep(0.05)
        with lock:
            now[0] -= 1
        done.append(k)
        return k

    threads = [threading.Thread(target=q.run, args=(lambda k=k: job(k),)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert peak[0] == 2 and sorted(done) == list(range(8))


def test_waiter_is_told_the_queue_and_may_give_up():
    q = AnalysisQueue(1)
    release = threading.Event()
    first = threading.Thread(target=q.run, args=(release.wait,))
    first.start()
    while q._running == 0:
        time.sleep(0.01)
    seen: list[int] = []

    def on_wait(n: int) -> None:
        seen.append(n)
        raise KeyboardInterrupt  # stands for the page's Cancelled

    with pytest.raises(KeyboardInterrupt):
        q.run(lambda: None, on_wait)
    assert seen == [1] and q._waiting == []
    release.set()
    first.join(5)
    assert q.run(lambda: 7) == 7 and q._running == 0
