"""Files in a task's work dir, each written completely before it becomes visible.

Every writer writes to a temporary name in the same folder and then renames it over the final name
(``os.replace`` is atomic), so a worker killed at any moment leaves either the old file or the new
one, never a torn one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from typing import IO, Any

import joblib
import numpy as np

__all__ = ["atomic_write", "load_json", "load_npz", "save_joblib", "save_json", "save_npy", "save_npz"]


def atomic_write(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Write ``path`` through ``write(file)`` on a temporary file, then rename it into place."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save_joblib(obj: Any, path: str) -> None:
    """Pickle a fitted model with joblib (our own artifacts only; user data is never unpickled)."""
    atomic_write(path, lambda f: joblib.dump(obj, f, compress=3))


def save_npy(array: np.ndarray, path: str) -> None:
    """Save one array as ``.npy``."""
    atomic_write(path, lambda f: np.save(f, np.asarray(array), allow_pickle=False))


def save_npz(path: str, **arrays: Any) -> None:
    """Save named arrays as ``.npz``."""
    atomic_write(path, lambda f: np.savez(f, **{k: np.asarray(v) for k, v in arrays.items()}))


def load_npz(path: str) -> dict[str, np.ndarray] | None:
    """Load an ``.npz`` file written by :func:`save_npz`, or None if it is missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError):
        return None


def save_json(obj: Any, path: str) -> None:
    """Save JSON."""
    atomic_write(path, lambda f: f.write(json.dumps(obj, indent=1, default=float).encode("utf-8")))


def load_json(path: str) -> Any:
    """Load JSON written by :func:`save_json`, or None if missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
