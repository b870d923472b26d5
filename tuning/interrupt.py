"""Ctrl-C as a request that the tool honours at known points, not an exception raised anywhere.

Python's default SIGINT handler raises KeyboardInterrupt wherever the main thread happens to be. When
that is inside code a C extension runs through `PyRun_String` (optree's module init does: torch
imports it lazily while the first optimizer of a study is built), CPython sets its process-wide
`_Py_UnhandledKeyboardInterrupt` flag even though the exception is caught later on; `python -m` then
kills itself with SIGINT at exit, status -2 instead of the 130 our handler returned. So the first
Ctrl-C only sets a flag, and `check()` raises KeyboardInterrupt from ordinary Python code at the points
that poll it (each training batch, the worker loop, waits). A second Ctrl-C stops at once.
"""

from __future__ import annotations

import contextlib
import signal
import time

# A plain flag: the handler runs between two bytecodes of the main thread, which may hold any lock
# at that moment (an Event's among them), so it must take none.
_requested = False


@contextlib.contextmanager
def deferred():
    """Within: the first Ctrl-C is a request that `check` and `sleep` honour (enter from the main thread)."""
    global _requested
    _requested = False
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _requested = False


def _on_sigint(signum, frame) -> None:
    global _requested
    if _requested:  # the second Ctrl-C: the user does not want to wait for a check point
        signal.signal(signal.SIGINT, signal.default_int_handler)
        raise KeyboardInterrupt
    _requested = True


def requested() -> bool:
    return _requested


def check() -> None:
    """Raise KeyboardInterrupt here if Ctrl-C was pressed within `deferred()`."""
    if _requested:
        raise KeyboardInterrupt


def sleep(seconds: float) -> None:
    """`time.sleep` that ends early, with KeyboardInterrupt, on Ctrl-C (a signal does not cut a
    sleep short: PEP 475 resumes it, so it sleeps in short steps)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        check()
        time.sleep(min(left, 0.1))
    check()
