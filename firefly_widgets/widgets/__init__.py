"""Notebook widgets: launch, watch and steer tasks without blocking a cell.

``TaskWidget`` shows a configuration form or the live view of one task, ``TaskBrowser`` every task in
one table, ``doctor`` checks the notebook set-up, and ``get_poller`` gives the single polling thread
they all share.
"""

from __future__ import annotations

from firefly_widgets.widgets.browser import TaskBrowser
from firefly_widgets.widgets.doctor import doctor
from firefly_widgets.widgets.poller import get_poller
from firefly_widgets.widgets.task_widget import TaskWidget

__all__ = ["TaskBrowser", "TaskWidget", "doctor", "get_poller"]
