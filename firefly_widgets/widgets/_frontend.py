"""Locate the widgets' ES modules and stylesheets.

In an installed wheel they are package data under ``firefly_widgets/_js/`` (pyproject force-includes
the repository's ``js/`` folder there); in a source checkout they are in ``<repo>/js/``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["js_dir", "js_path"]

_PACKAGE = Path(__file__).resolve().parent.parent


def js_dir() -> Path:
    """The folder that holds the ES modules.

    Raises:
        FileNotFoundError: neither the wheel's nor the checkout's folder exists.
    """
    for candidate in (_PACKAGE / "_js", _PACKAGE.parent / "js"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"the widgets' JavaScript was not found in {_PACKAGE / '_js'} or {_PACKAGE.parent / 'js'}; "
        "reinstall firefly_widgets (pip install --force-reinstall firefly_widgets)"
    )


def js_path(name: str) -> Path:
    """The path of one front-end file, e.g. ``js_path("task_view.js")``.

    Raises:
        FileNotFoundError: the file is missing.
    """
    path = js_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"front-end file {name!r} is missing from {path.parent}")
    return path
