"""Work functions for the worker's tests (module level: a worker imports them by path)."""

from __future__ import annotations

import threading
import time

# For tests in this process (a worker thread): the work waits for the test.
halfway = threading.Event()
proceed = threading.Event()


def slow(context):
    """`steps` steps of `pause` seconds, reporting each (a job a test can stop midway)."""
    steps = int(context.params.get("steps", 30))
    pause = float(context.params.get("pause", 0.1))
    context.stage("steps", total=steps)
    for step in range(1, steps + 1):
        time.sleep(pause)
        context.progress(step)
    return {"steps": steps}


def held(context):
    """Half the work, then wait for the test to let it go on."""
    context.stage("halves", total=10)
    context.progress(5)
    halfway.set()
    if not proceed.wait(20):
        raise RuntimeError("the test never let the job go on")
    context.progress(10)
    return {"ok": True, "thread": threading.get_ident()}


def broken(context):
    raise ValueError("a bug")
