"""Running a training call in a forked child process that can be killed at its deadline.

Boosting libraries and forests stop cooperatively (see :mod:`firefly_widgets.engine.training`); every
other estimator (SVMs, Gaussian processes, k-NN, MLP, linear solvers...) runs in one call that cannot
be interrupted from inside the process. When such a model has a hard limit (``single_model_timeout``,
or the end of the task's budget on larger data), the fit runs in a ``fork`` of the worker: the child
inherits the encoded data for free (copy on write), writes its result to a file and exits; the parent
SIGKILLs it at the deadline. The child dies with its parent (``PR_SET_PDEATHSIG``), so a worker
killed by pause or cancel leaves no orphan training behind.
"""

from __future__ import annotations

import ctypes
import os
import signal
import tempfile
import time
import traceback
from collections.abc import Callable
from typing import Any

import joblib

from firefly_widgets.engine.training import FitTimeout

__all__ = ["ChildError", "run_in_child"]


class ChildError(Exception):
    """The call failed in the child process (the message carries the child's error)."""


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_in_child(fn: Callable[[], Any], *, deadline: float, scratch_dir: str | None = None) -> Any:
    """Call ``fn()`` in a forked child and return its (pickled) result.

    Args:
        fn: the call; its result must be picklable.
        deadline: a ``time.monotonic()`` value; the child is killed when it passes.
        scratch_dir: where the result file goes (default: the system temp dir).

    Returns:
        What ``fn()`` returned.

    Raises:
        FitTimeout: the deadline passed first.
        ChildError: ``fn`` raised (or the child died) in the child.
    """
    fd, result_path = tempfile.mkstemp(prefix=".child-", suffix=".joblib", dir=scratch_dir)
    os.close(fd)
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 0
        try:
            _die_with_parent()
            joblib.dump(("ok", fn()), result_path)
        except BaseException as err:  # reported to the parent through the file
            code = 1
            try:
                joblib.dump(("error", f"{type(err).__name__}: {err}", traceback.format_exc()), result_path)
            except BaseException:
                pass
        finally:
            os._exit(code)
    try:
        sleep = 0.002
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise FitTimeout("training did not finish before its deadline")
            time.sleep(sleep)
            sleep = min(sleep * 1.5, 0.05)
        try:
            outcome = joblib.load(result_path)
        except (EOFError, OSError, ValueError) as err:
            raise ChildError(f"the training process died (exit status {status})") from err
        if outcome[0] == "ok":
            return outcome[1]
        raise ChildError(outcome[1])
    finally:
        try:
            os.unlink(result_path)
        except OSError:
            pass
