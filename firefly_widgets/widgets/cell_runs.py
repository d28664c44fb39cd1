"""Re-running a cell closes the widgets its earlier run created.

JupyterLab (and Notebook 7) tell the kernel which cell runs (``metadata.cellId`` of the execute
request). A widget created by a cell registers itself under that cell; when the cell runs again, the
widgets of its earlier runs are closed, so their polling does not linger behind the new output.
Where the front end sends no cell id (plain IPython, some other front ends) nothing happens.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, Protocol

__all__ = ["close_earlier_runs_of_this_cell", "current_cell"]


class _Closeable(Protocol):
    def close(self) -> None: ...


_cell_widgets: dict[str, list[tuple[str, weakref.ref[Any]]]] = {}
_cell_lock = threading.Lock()


def current_cell() -> tuple[str, str] | None:
    """``(cell id, execution message id)`` of the running cell when a front end says so, else None."""
    try:
        from ipykernel.kernelbase import Kernel

        if not Kernel.initialized():
            return None
        parent = Kernel.instance().get_parent("shell") or {}
    except Exception:
        return None
    cell_id = (parent.get("metadata") or {}).get("cellId")
    msg_id = (parent.get("header") or {}).get("msg_id")
    return (str(cell_id), str(msg_id)) if cell_id and msg_id else None


def close_earlier_runs_of_this_cell(widget: _Closeable, cell: tuple[str, str] | None) -> None:
    """Register ``widget`` under ``cell`` and close the widgets of that cell's earlier runs.

    Args:
        widget: the new widget.
        cell: what :func:`current_cell` returned when the widget was created.
    """
    if cell is None:
        return
    cell_id, run_id = cell
    with _cell_lock:
        entries = [(rid, ref) for rid, ref in _cell_widgets.get(cell_id, []) if ref() is not None]
        stale = [ref() for rid, ref in entries if rid != run_id]
        _cell_widgets[cell_id] = [(rid, ref) for rid, ref in entries if rid == run_id] + [
            (run_id, weakref.ref(widget))]
    for old in stale:
        if old is not None:
            old.close()
