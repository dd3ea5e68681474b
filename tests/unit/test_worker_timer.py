"""The worker's timers (shared/worker.py `_tick`): a fixed rate, and a run at the due moment a job names when that
comes before its next tick. Real threads and time, with bounds far from the rates involved."""
from __future__ import annotations

import threading
import time

from shared import worker
from tests.support import wait_for


def ticking(timer: worker.Timer):
    stop = threading.Event()
    thread = threading.Thread(target=worker._tick, args=(timer, stop), daemon=True)
    thread.start()
    return stop, thread


def test_a_job_runs_at_the_due_moment_it_names_long_before_its_next_tick():
    runs, hints = [], iter([0.3])
    timer = worker.Timer("job", 4.0, lambda: runs.append(time.monotonic()),
                         next_due_in=lambda: next(hints, None))
    started = time.monotonic()
    stop, thread = ticking(timer)
    try:
        wait_for(lambda: len(runs) >= 2, 15, 0.02, "the run at the due moment after the first tick")
        assert runs[0] - started >= 4.0, "the first run comes at the rate"
        assert runs[1] - runs[0] < 3.0, "the second at the named moment, not a whole interval later"
        assert runs[1] - runs[0] >= 0.3
    finally:
        stop.set()
        thread.join(5)


def test_a_past_or_unknown_due_moment_or_a_failing_hint_leaves_the_fixed_rate():
    for hint in (lambda: -1.0, lambda: 0.0, lambda: None, lambda: 1 / 0):
        runs = []
        timer = worker.Timer("job", 0.4, lambda: runs.append(time.monotonic()), next_due_in=hint)
        stop, thread = ticking(timer)
        try:
            wait_for(lambda: len(runs) >= 3, 10, 0.02, "three runs at the rate")
            gaps = [later - earlier for earlier, later in zip(runs, runs[1:])]
            assert min(gaps) >= 0.3, (hint, gaps)
        finally:
            stop.set()
            thread.join(5)
