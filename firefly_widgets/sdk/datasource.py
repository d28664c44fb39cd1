"""Datasource: an uploaded CSV file, analysed by the service (column types, warnings).

The same classmethods and arguments as the official client's ``fireflyai.Datasource``. Unlike the
official client, which uploads to cloud storage first, :meth:`Datasource.create` and
:meth:`Datasource.create_from_dataframe` send the file straight to the service
(``POST datasources/upload``, multipart).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from firefly_widgets.sdk.dataset import Dataset
from firefly_widgets.sdk.errors import InvalidRequestError
from firefly_widgets.sdk.resource import NamedResource, id_getter, wait_for_final_state
from firefly_widgets.sdk.response import FireflyResponse

__all__ = ["Datasource"]

#: Read timeout, in seconds, of an upload (the service analyses the file before answering).
UPLOAD_TIMEOUT = 600.0


class Datasource(NamedResource):
    """Datasources: upload CSV data and query it.

    Example:
        >>> from firefly_widgets.sdk import Datasource
        >>> Datasource.create("iris.csv", wait=True)["row_count"]          # doctest: +SKIP
        150
    """

    _CLASS_PREFIX = "datasources"
    _KIND = "Datasource"

    @classmethod
    def create(
        cls,
        filename: str | os.PathLike[str],
        na_values: list[str] | None = None,
        wait: bool = False,
        skip_if_exists: bool = False,
        api_key: str | None = None,
    ) -> FireflyResponse:
        """Upload a CSV file as a new datasource named after the file (its base name).

        Args:
            filename: path of the CSV file.
            na_values: extra strings to read as missing.
            wait: return the datasource object once it is analysed, instead of its id.
            skip_if_exists: return the existing datasource when one has this name, instead of failing.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: ``{"id": datasource_id}``; with ``wait=True`` the datasource object.

        Raises:
            InvalidRequestError: the file does not exist, a datasource with this name exists, or the
                service refused the file (not CSV, empty, too large; the message says which).

        Example:
            >>> Datasource.create("data/iris.csv", skip_if_exists=True)["id"]  # doctest: +SKIP
            5
        """
        path = os.fspath(filename)
        if not os.path.isfile(path):
            raise InvalidRequestError(f"filename: {path!r} is not a file")
        return cls._upload(os.path.basename(path), Path(path).read_bytes, na_values=na_values, wait=wait,
                           skip_if_exists=skip_if_exists, api_key=api_key)

    @classmethod
    def create_from_dataframe(
        cls,
        df: Any,
        data_source_name: str,
        na_values: list[str] | None = None,
        wait: bool = False,
        skip_if_exists: bool = False,
        api_key: str | None = None,
    ) -> FireflyResponse:
        """Upload a pandas DataFrame (as CSV, without its index) as a new datasource.

        Args:
            df: the ``pandas.DataFrame``.
            data_source_name: the datasource name; ``.csv`` is appended when missing.
            na_values: extra strings to read as missing.
            wait: return the datasource object once it is analysed, instead of its id.
            skip_if_exists: return the existing datasource when one has this name, instead of failing.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: ``{"id": datasource_id}``; with ``wait=True`` the datasource object.

        Raises:
            InvalidRequestError: a datasource with this name exists, or the service refused the data.

        Example:
            >>> import pandas as pd
            >>> df = pd.DataFrame({"x": [1, 2, 3, 4], "y": [0, 1, 0, 1]})
            >>> Datasource.create_from_dataframe(df, "tiny")["id"]            # doctest: +SKIP
            6
        """
        if not hasattr(df, "to_csv"):
            raise InvalidRequestError(f"df must be a pandas DataFrame, got {type(df).__name__}")
        name = data_source_name if data_source_name.endswith(".csv") else f"{data_source_name}.csv"
        return cls._upload(name, lambda: df.to_csv(index=False).encode("utf-8"), na_values=na_values, wait=wait,
                           skip_if_exists=skip_if_exists, api_key=api_key)

    @classmethod
    def _upload(cls, name: str, read: Callable[[], bytes], *, na_values: list[str] | None, wait: bool,
                skip_if_exists: bool, api_key: str | None) -> FireflyResponse:
        """Check the name, then upload ``read()`` (called only when the name is free) as CSV file ``name``."""
        existing = cls._refuse_duplicate(name, skip_if_exists, api_key)
        if existing is not None:
            return existing
        form = {"name": name}
        if na_values is not None:
            form["na_values"] = json.dumps(list(na_values))
        files = {"file": (name, read(), "text/csv")}
        response = cls._request("POST", f"{cls._CLASS_PREFIX}/upload", files=files, data=form,
                                timeout=UPLOAD_TIMEOUT, api_key=api_key)
        if wait:
            return wait_for_final_state(cls.get, response["id"], api_key=api_key)
        return response

    #: Create a dataset from this datasource: :meth:`Dataset.create` itself (same arguments and answer).
    prepare_data = staticmethod(Dataset.create)

    # -- analysis ------------------------------------------------------------------------------------
    get_base_types = id_getter("{prefix}/{id}/data_types/base",
                               "Each column's base type (``int``, ``float``, ``str``, ``bool``, ``datetime``).",
                               "``{column: base_type}``")
    get_feature_types = id_getter("{prefix}/{id}/data_types/feature",
                                  "Each column's feature type (``numerical``, ``categorical``, ``text``, "
                                  "``datetime``).",
                                  "``{column: feature_type}``")
    get_type_warnings = id_getter("{prefix}/{id}/data_types/warning",
                                  "Each column's type warnings (a possibly empty list of messages).",
                                  "``{column: [warning, ...]}``")
    get_metadata = id_getter("{prefix}/{id}/meta", "The datasource's metadata.", "the metadata",
                             raises=", or the service offers no metadata route")
