"""Ensemble: a combination of trained models produced by a Task, and its reports.

The same classmethods and arguments as the official client's ``fireflyai.Ensemble`` (the
production-marking calls of the cloud service are not offered).
"""

from __future__ import annotations

from firefly_widgets.sdk.errors import NotFoundError
from firefly_widgets.sdk.resource import APIResource, id_getter, notes_editor
from firefly_widgets.sdk.response import FireflyResponse

__all__ = ["Ensemble"]

#: The reports' extra reason for ``NotFoundError``, in their docstrings.
_NO_REPORT = ", or it has no such report"


def _without_display_entries(response: FireflyResponse) -> FireflyResponse:
    """A report without the display-only ``_title``/``_description`` entries, as the official client does."""
    data = response.to_dict()
    for section in ("NA value", "Permutation"):
        part = data.get(section)
        if isinstance(part, dict):
            part.pop("_title", None)
            part.pop("_description", None)
    return FireflyResponse(data=data, headers=response.headers, status_code=response.status_code)


class Ensemble(APIResource):
    """Ensembles: query them, annotate them, read their reports.

    Example:
        >>> from firefly_widgets.sdk import Ensemble
        >>> Ensemble.list(filter_={"task_id": [12], "stage": ["TASK"]})["total"]   # doctest: +SKIP
        4
    """

    _CLASS_PREFIX = "ensembles"
    _KIND = "Ensemble"

    edit_notes = notes_editor()

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
    get_model_sensitivity_report = id_getter("reports/{prefix}/{id}/sensitivity", "Each feature's sensitivity scores.",
                                             "the sensitivity report", raises=_NO_REPORT, then=_without_display_entries)
    get_feature_importance_report = id_getter("reports/{prefix}/{id}/feature_importance",
                                              "Each feature's importance to the ensemble.",
                                              "the feature importance report, e.g. ``{'petal_length': 0.52, ...}``",
                                              raises=_NO_REPORT, then=_without_display_entries)
    get_ensemble_test_prediction_sample = id_getter("reports/{prefix}/{id}/test_prediction_sample",
                                                    "A sample of the ensemble's predictions on the test rows.",
                                                    "the sample", raises=_NO_REPORT)
    get_ensemble_summary_report = id_getter("{prefix}/{id}/summary", "The ensemble's summary.", "the summary")
    get_ensemble_roc_curve = id_getter("reports/{prefix}/{id}/roc_curve", "The ROC curve of a classification ensemble.",
                                       "the ROC curve data", raises=_NO_REPORT)
    get_ensemble_confusion_matrix = id_getter("reports/{prefix}/{id}/confusion",
                                              "The confusion matrix of a classification ensemble.",
                                              "the confusion matrix", raises=_NO_REPORT)
    get_model_architecture = id_getter("reports/{prefix}/{id}/architecture",
                                       "The ensemble's architecture (members and how they are combined).",
                                       "the architecture", raises=_NO_REPORT)
    get_model_presentation = id_getter("reports/{prefix}/{id}/presentation", "The ensemble's presentation.",
                                       "the presentation", raises=_NO_REPORT)
