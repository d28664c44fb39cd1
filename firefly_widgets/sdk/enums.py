"""The Task API's enumerations, as ``firefly_widgets.sdk.enums`` (the official client's ``fireflyai.enums``).

These are the very objects of :mod:`firefly_widgets.enums`; this module only re-exports them so that
code written as ``from fireflyai import enums`` can become ``from firefly_widgets.sdk import enums``.
"""

from __future__ import annotations

from firefly_widgets.enums import *  # noqa: F403 - the same names, under the official client's module path
from firefly_widgets.enums import __all__  # noqa: F401 - and the same public list
