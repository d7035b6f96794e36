"""A worker in a thread of the test process: the queue loop of `fangyi worker` (same
class, same claims), without signals or the scheduler, on the test's database."""

from __future__ import annotations

import sqlite3
import threading
import time

from django.db import connections

from fangyi.jobs import worker as worker_module


class WorkerThread:
    def __init__(self, *, interval: float = 0.05, worker_id: str = "test-worker") -> None:
        self.worker = worker_module.queue_worker(worker_id=worker_id, interval=interval)
        self.thread = threading.Thread(target=self._run, name="test-worker", daemon=True)

    def _run(self) -> None:
        worker_module.current_worker_id = self.worker.worker_id
        try:
            self.worker.run()
        finally:
            connections.close_all()

    def start(self) -> WorkerThread:
        # Heard of, as a running worker is (the job page warns when no worker beats).
        worker_module.Scheduler(self.worker.worker_id, periodic=False).tick()
        self.thread.start()
        return self

    def stop(self) -> None:
        self.worker.running = False
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the test worker did not stop"


def patient_execute(execute):
    """`execute` that waits out a shared-cache lock for up to 10 s (busy_timeout's work)."""

    def patient(self, query, params=None):
        deadline = time.monotonic() + 10
        while True:
            try:
                return execute(self, query, params)
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    return patient
