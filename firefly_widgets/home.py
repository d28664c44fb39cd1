"""Where the embedded service keeps its data. A leaf module: the SDK and the service both read it here."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_home"]


def default_home() -> Path:
    """The home folder of the embedded service: ``FIREFLY_HOME``, else the user's data directory.

    Returns:
        Path: the folder (not created).
    """
    configured = os.environ.get("FIREFLY_HOME")
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("firefly_widgets", appauthor=False))
