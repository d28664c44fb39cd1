"""Prediction: an Ensemble applied to a Datasource.

The same classmethods and arguments as the official client's ``fireflyai.Prediction``, plus
:meth:`Prediction.download` to fetch the predictions themselves.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from firefly_widgets.sdk.errors import APIError
from firefly_widgets.sdk.resource import APIResource, wait_for_final_state
from firefly_widgets.sdk.response import FireflyResponse

__all__ = ["Prediction"]


class Prediction(APIResource):
    """Predictions: run an ensemble on a datasource and fetch the results.

    A prediction's ``stage`` (not ``state``) becomes ``COMPLETED`` (or ``FAILED``) when it is done.

    Example:
        >>> from firefly_widgets.sdk import Prediction
        >>> pred = Prediction.create(ensemble_id=7, data_id=5, wait=True)  # doctest: +SKIP
        >>> Prediction.download(pred["id"]).head()                        # doctest: +SKIP
    """

    _CLASS_PREFIX = "predictions"
    _KIND = "Prediction"

    @classmethod
    def create(
        cls,
        ensemble_id: int,
        data_id: int | None = None,
        file_path: str | None = None,
        download_details: Mapping[str, Any] | None = None,
        remove_header: bool = False,
        data_name: str | None = None,
        header: list | None = None,
        wait: bool | None = None,
        api_key: str | None = None,
    ) -> FireflyResponse:
        """Run an ensemble on a datasource.

        The datasource must hold the training features (the target column may be absent).

        Args:
            ensemble_id: the ensemble to predict with.
            data_id: the datasource to predict on.
            file_path: a file path recorded with the prediction (the official client's cloud path).
            download_details: passed through to the service.
            remove_header: passed through to the service.
            data_name: a name for the data (default: the base name of ``file_path``).
            header: passed through to the service.
            wait: return only when the predictions are ready.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: ``{"id": prediction_id}``; with ``wait=True`` the prediction object.

        Raises:
            InvalidRequestError: an unknown ensemble or datasource, or data without the features.

        Example:
            >>> Prediction.create(7, data_id=5)["id"]                         # doctest: +SKIP
            2
        """
        if data_name is None and file_path:
            data_name = os.path.basename(file_path)
        body: dict[str, Any] = {
            "ensemble_id": ensemble_id,
            "datasource_id": data_id,
            "header": header,
            "data_name": data_name,
            "file_path": file_path,
            "remove_header": remove_header,
        }
        if download_details:
            body["download_details"] = dict(download_details)
        response = cls._request("POST", cls._CLASS_PREFIX, json=body, api_key=api_key)
        prediction_id = response["id"]
        if wait:
            return wait_for_final_state(cls.get, prediction_id, state_field="stage", api_key=api_key)
        return FireflyResponse(data={"id": prediction_id}, headers=response.headers,
                               status_code=response.status_code)

    @classmethod
    def download(cls, id: int, path: str | os.PathLike[str] | None = None, api_key: str | None = None) -> Any:
        """Fetch a finished prediction's results: one row per input row, in input order, with a
        ``prediction`` column and, for classification, ``probability_<class>`` columns.

        Args:
            id: the prediction id.
            path: where to write the CSV; when omitted, the results are returned as a DataFrame.
            api_key: a token for this call only.

        Returns:
            pandas.DataFrame | pathlib.Path: the results, or the path written.

        Raises:
            InvalidRequestError: the prediction is not ready yet, or it failed.
            NotFoundError: no prediction has this id.

        Example:
            >>> Prediction.download(2, "predictions.csv")                     # doctest: +SKIP
            PosixPath('predictions.csv')
        """
        content = cls._client_download(f"{cls._CLASS_PREFIX}/{id}/download", api_key=api_key)
        if path is not None:
            target = Path(path)
            target.write_bytes(content)
            return target
        import pandas as pd

        try:
            return pd.read_csv(io.BytesIO(content))
        except (ValueError, pd.errors.ParserError) as err:
            raise APIError(f"Prediction {id}: the service sent results that are not CSV ({err})") from err

    @classmethod
    def _client_download(cls, path: str, api_key: str | None) -> bytes:
        from firefly_widgets.sdk.config import get_client

        return get_client().download(path, api_key=api_key)
