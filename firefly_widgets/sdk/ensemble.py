"""Ensemble: a combination of trained models produced by a Task, and its reports.

The same classmethods and arguments as the official client's ``fireflyai.Ensemble`` (the
production-marking calls of the cloud service are not offered).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from firefly_widgets.sdk.errors import NotFoundError
from firefly_widgets.sdk.resource import APIResource
from firefly_widgets.sdk.response import FireflyResponse

__all__ = ["Ensemble"]


class Ensemble(APIResource):
    """Ensembles: query them, annotate them, read their reports.

    Example:
        >>> from firefly_widgets.sdk import Ensemble
        >>> Ensemble.list(filter_={"task_id": [12], "stage": ["TASK"]})["total"]   # doctest: +SKIP
        4
    """

    _CLASS_PREFIX = "ensembles"
    _KIND = "Ensemble"

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
        """List ensembles, with search, filters (e.g. ``task_id``, ``stage``), sorting and pagination.

        Args:
            search_term: keep only ensembles with this text in any field.
            page: the page to return (0-based).
            page_size: ensembles per page.
            sort: ``{field: "asc" | "desc"}``.
            filter_: ``{field: [values]}``.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: ``hits`` and ``total``.
        """
        return cls._list(search_term, page, page_size, sort, filter_, api_key)

    @classmethod
    def get(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """Get one ensemble (``task_id``, ``stage``, ``state``, score, members...).

        Args:
            id: the ensemble id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the ensemble object.

        Raises:
            NotFoundError: no ensemble has this id.
        """
        return cls._get(id, api_key)

    @classmethod
    def delete(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """Delete an ensemble.

        Args:
            id: the ensemble id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: ``{"result": True}``.

        Raises:
            NotFoundError: no ensemble has this id.
        """
        return cls._delete(id, api_key)

    @classmethod
    def edit_notes(cls, id: int, notes: str, api_key: str | None = None) -> FireflyResponse:
        """Replace the ensemble's notes.

        Args:
            id: the ensemble id.
            notes: the new notes.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the service's answer.

        Raises:
            NotFoundError: no ensemble has this id.
        """
        return cls._request("PUT", f"{cls._CLASS_PREFIX}/{id}/notes", json={"notes": notes}, api_key=api_key)

    @classmethod
    def get_ensemble_id(cls, task_id: int, api_key: str | None = None) -> int:
        """The id of the task's latest ensemble (stage ``TASK`` or ``REFIT``).

        Args:
            task_id: the task id.
            api_key: a token for this call only.

        Returns:
            int: the ensemble id.

        Raises:
            NotFoundError: the task has no ensemble.
        """
        hits = cls.list(filter_={"task_id": [task_id], "stage": ["TASK", "REFIT"]}, api_key=api_key)["hits"] or []
        if not hits:
            raise NotFoundError(f"Task {task_id} has no ensemble yet")
        return hits[-1]["id"]

    # -- reports -------------------------------------------------------------------------------------
    @classmethod
    def _report(cls, id: int, name: str, api_key: str | None) -> FireflyResponse:
        return cls._request("GET", f"reports/{cls._CLASS_PREFIX}/{id}/{name}", api_key=api_key)

    @classmethod
    def _cleaned_report(cls, id: int, name: str, api_key: str | None) -> FireflyResponse:
        """A report without the display-only ``_title``/``_description`` entries, as the official client does."""
        response = cls._report(id, name, api_key)
        data = response.to_dict()
        for section in ("NA value", "Permutation"):
            part = data.get(section)
            if isinstance(part, dict):
                part.pop("_title", None)
                part.pop("_description", None)
        return FireflyResponse(data=data, headers=response.headers, status_code=response.status_code)

    @classmethod
    def get_model_sensitivity_report(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """Each feature's sensitivity scores.

        Args:
            id: the ensemble id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the sensitivity report.

        Raises:
            NotFoundError: no ensemble has this id, or it has no such report.
        """
        return cls._cleaned_report(id, "sensitivity", api_key)

    @classmethod
    def get_feature_importance_report(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """Each feature's importance to the ensemble.

        Args:
            id: the ensemble id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the feature importance report.

        Raises:
            NotFoundError: no ensemble has this id, or it has no such report.

        Example:
            >>> Ensemble.get_feature_importance_report(7).to_dict()            # doctest: +SKIP
            {'petal_length': 0.52, ...}
        """
        return cls._cleaned_report(id, "feature_importance", api_key)

    @classmethod
    def get_ensemble_test_prediction_sample(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """A sample of the ensemble's predictions on the test rows.

        Args:
            id: the ensemble id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the sample.

        Raises:
            NotFoundError: no ensemble has this id, or it has no such report.
        """
        return cls._report(id, "test_prediction_sample", api_key)

    @classmethod
    def get_ensemble_summary_report(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """The ensemble's summary.

        Args:
            id: the ensemble id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the summary.

        Raises:
            NotFoundError: no ensemble has this id.
        """
        return cls._request("GET", f"{cls._CLASS_PREFIX}/{id}/summary", api_key=api_key)

    @classmethod
    def get_ensemble_roc_curve(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """The ROC curve of a classification ensemble.

        Args:
            id: the ensemble id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the ROC curve data.

        Raises:
            NotFoundError: no ensemble has this id, or it has no such report.
        """
        return cls._report(id, "roc_curve", api_key)

    @classmethod
    def get_ensemble_confusion_matrix(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """The confusion matrix of a classification ensemble.

        Args:
            id: the ensemble id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the confusion matrix.

        Raises:
            NotFoundError: no ensemble has this id, or it has no such report.
        """
        return cls._report(id, "confusion", api_key)

    @classmethod
    def get_model_architecture(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """The ensemble's architecture (members and how they are combined).

        Args:
            id: the ensemble id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the architecture.

        Raises:
            NotFoundError: no ensemble has this id, or it has no such report.
        """
        return cls._report(id, "architecture", api_key)

    @classmethod
    def get_model_presentation(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """The ensemble's presentation.

        Args:
            id: the ensemble id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the presentation.

        Raises:
            NotFoundError: no ensemble has this id, or it has no such report.
        """
        return cls._report(id, "presentation", api_key)
