"""Datasource: an uploaded CSV file, analysed by the service (column types, warnings).

The same classmethods and arguments as the official client's ``fireflyai.Datasource``. Unlike the
official client, which uploads to cloud storage first, :meth:`Datasource.create` and
:meth:`Datasource.create_from_dataframe` send the file straight to the service
(``POST datasources/upload``, multipart).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping
from typing import IO, Any

from firefly_widgets.enums import FeatureType, ProblemType
from firefly_widgets.sdk.errors import InvalidRequestError
from firefly_widgets.sdk.resource import APIResource, wait_for_final_state
from firefly_widgets.sdk.response import FireflyResponse

__all__ = ["Datasource"]

#: Read timeout, in seconds, of an upload (the service analyses the file before answering).
UPLOAD_TIMEOUT = 600.0


class Datasource(APIResource):
    """Datasources: upload CSV data and query it.

    Example:
        >>> from firefly_widgets.sdk import Datasource
        >>> Datasource.create("iris.csv", wait=True)["row_count"]          # doctest: +SKIP
        150
    """

    _CLASS_PREFIX = "datasources"
    _KIND = "Datasource"

    @classmethod
    def list(
        cls,
        search_term: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        sort: Mapping[str, str] | None = None,
        filter_: Mapping[str, Any] | None = None,
        api_key: str | None = None,
    ) -> FireflyResponse:
        """List datasources, with search, filters, sorting and pagination.

        Args:
            search_term: keep only datasources with this text in any field.
            page: the page to return (0-based).
            page_size: datasources per page.
            sort: ``{field: "asc" | "desc"}``.
            filter_: ``{field: [values]}``.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: ``hits`` and ``total``.
        """
        return cls._list(search_term, page, page_size, sort, filter_, api_key)

    @classmethod
    def get(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """Get one datasource (``name``, ``state``, ``row_count``, ``data_size``, ``creation_date``).

        Args:
            id: the datasource id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the datasource object.

        Raises:
            NotFoundError: no datasource has this id.
        """
        return cls._get(id, api_key)

    @classmethod
    def get_by_name(cls, name: str, api_key: str | None = None) -> FireflyResponse:
        """Get the datasource named ``name`` (for an uploaded file: its base name, e.g. ``iris.csv``).

        Args:
            name: the datasource name.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the datasource object.

        Raises:
            NotFoundError: no datasource has this name.
        """
        return cls._get_by_name(name, api_key)

    @classmethod
    def delete(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """Delete a datasource.

        Args:
            id: the datasource id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: ``{"result": True}``.

        Raises:
            NotFoundError: no datasource has this id.
        """
        return cls._delete(id, api_key)

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
        name = os.path.basename(path)
        if not os.path.isfile(path):
            raise InvalidRequestError(f"filename: {path!r} is not a file")
        existing = cls._refuse_duplicate(name, skip_if_exists, api_key)
        if existing is not None:
            return existing
        with open(path, "rb") as handle:
            return cls._upload(name, handle, na_values=na_values, wait=wait, api_key=api_key)

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
        existing = cls._refuse_duplicate(name, skip_if_exists, api_key)
        if existing is not None:
            return existing
        buffer = io.BytesIO(df.to_csv(index=False).encode("utf-8"))
        return cls._upload(name, buffer, na_values=na_values, wait=wait, api_key=api_key)

    @classmethod
    def _upload(cls, name: str, content: IO[bytes], *, na_values: list[str] | None, wait: bool,
                api_key: str | None) -> FireflyResponse:
        form = {"name": name}
        if na_values is not None:
            form["na_values"] = json.dumps(list(na_values))
        files = {"file": (name, content.read(), "text/csv")}
        response = cls._request("POST", f"{cls._CLASS_PREFIX}/upload", files=files, data=form,
                                timeout=UPLOAD_TIMEOUT, api_key=api_key)
        if wait:
            return wait_for_final_state(cls.get, response["id"], api_key=api_key)
        return response

    @classmethod
    def prepare_data(
        cls,
        datasource_id: int,
        dataset_name: str,
        target: str,
        problem_type: ProblemType,
        header: bool = True,
        na_values: list[str] | None = None,
        retype_columns: Mapping[str, FeatureType] | None = None,
        rename_columns: list[str] | None = None,
        datetime_format: str | None = None,
        time_axis: str | None = None,
        block_id: list[str] | None = None,
        sample_id: list[str] | None = None,
        subdataset_id: list[str] | None = None,
        sample_weight: list[str] | None = None,
        not_used: list[str] | None = None,
        hidden: list[str] | bool = False,
        wait: bool = False,
        skip_if_exists: bool = False,
        api_key: str | None = None,
    ) -> FireflyResponse:
        """Create a dataset from this datasource: :meth:`Dataset.create` with the same arguments.

        Returns:
            FireflyResponse: as :meth:`Dataset.create`.

        Raises:
            InvalidRequestError: as :meth:`Dataset.create`.
        """
        from firefly_widgets.sdk.dataset import Dataset

        return Dataset.create(
            datasource_id=datasource_id, dataset_name=dataset_name, target=target, problem_type=problem_type,
            header=header, na_values=na_values, retype_columns=retype_columns, rename_columns=rename_columns,
            datetime_format=datetime_format, time_axis=time_axis, block_id=block_id, sample_id=sample_id,
            subdataset_id=subdataset_id, sample_weight=sample_weight, not_used=not_used, hidden=hidden,
            wait=wait, skip_if_exists=skip_if_exists, api_key=api_key,
        )

    # -- analysis ------------------------------------------------------------------------------------
    @classmethod
    def get_base_types(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """Each column's base type (``int``, ``float``, ``str``, ``bool``, ``datetime``).

        Args:
            id: the datasource id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: ``{column: base_type}``.

        Raises:
            NotFoundError: no datasource has this id.
        """
        return cls._request("GET", f"{cls._CLASS_PREFIX}/{id}/data_types/base", api_key=api_key)

    @classmethod
    def get_feature_types(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """Each column's feature type (``numerical``, ``categorical``, ``text``, ``datetime``).

        Args:
            id: the datasource id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: ``{column: feature_type}``.

        Raises:
            NotFoundError: no datasource has this id.
        """
        return cls._request("GET", f"{cls._CLASS_PREFIX}/{id}/data_types/feature", api_key=api_key)

    @classmethod
    def get_type_warnings(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """Each column's type warnings (a possibly empty list of messages).

        Args:
            id: the datasource id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: ``{column: [warning, ...]}``.

        Raises:
            NotFoundError: no datasource has this id.
        """
        return cls._request("GET", f"{cls._CLASS_PREFIX}/{id}/data_types/warning", api_key=api_key)

    @classmethod
    def get_metadata(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """The datasource's metadata.

        Args:
            id: the datasource id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the metadata.

        Raises:
            NotFoundError: no datasource has this id, or the service offers no metadata route.
        """
        return cls._request("GET", f"{cls._CLASS_PREFIX}/{id}/meta", api_key=api_key)
