"""Ctrl-C in the tuning tool is a request honoured at check points (`tuning.interrupt`), so the
KeyboardInterrupt is raised from our code, never inside a C extension's `PyRun_String` code (where CPython
would remember it and kill `python -m` with SIGINT at exit, whatever the handler returned)."""

from __future__ import annotations

import os
import signal

import pytest

from tuning import interrupt


@pytest.fixture
def installed():
    with interrupt.deferred():
        yield
    assert not interrupt.requested()


def test_the_first_ctrl_c_waits_for_a_check_point(installed):
    interrupt.check()  # nothing requested yet
    os.kill(os.getpid(), signal.SIGINT)  # handled before os.kill returns to the eval loop
    assert interrupt.requested()
    with pytest.raises(KeyboardInterrupt):
        interrupt.check()


def test_sleep_ends_early_on_ctrl_c(installed):
    os.kill(os.getpid(), signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        interrupt.sleep(30)


def test_a_second_ctrl_c_stops_at_once(installed):
    os.kill(os.getpid(), signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
