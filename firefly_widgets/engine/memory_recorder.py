"""A :class:`~firefly_widgets.engine.contract.TrainingRecorder` that keeps everything in memory.

For tests, benchmarks and scripts that drive the engine without the service. It can also persist to
a JSON file after every call (``path``), which lets a script resume a search after a crash.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from firefly_widgets.engine.artifacts import save_json
from firefly_widgets.engine.contract import ModelRecord, TrainingRecorder

__all__ = ["MemoryRecorder"]


class MemoryRecorder(TrainingRecorder):
    """Keeps models, ensembles, progress and results in lists.

    Args:
        path: optional JSON file to mirror the records into (loaded if it exists).
        elapsed_before: seconds of RUNNING time to report before this recorder was created.
    """

    def __init__(self, path: str | None = None, elapsed_before: float = 0.0):
        self.path = path
        self.models: list[dict[str, Any]] = []
        self.ensembles: list[dict[str, Any]] = []
        self.results: dict[str, Any] | None = None
        #: reports by ensemble id
        self.reports: dict[int, dict[str, Any]] = {}
        self.results_history: int = 0
        self._started = time.monotonic()
        self._elapsed_before = elapsed_before
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                saved = json.load(f)
            self.models, self.ensembles, self.results = saved["models"], saved["ensembles"], saved["results"]
            self.reports = {int(k): v for k, v in saved.get("reports", {}).items()}
            self._elapsed_before = float(saved.get("elapsed", 0.0))

    def _persist(self) -> None:
        if self.path:
            save_json({"models": self.models, "ensembles": self.ensembles, "results": self.results,
                       "reports": self.reports, "elapsed": self.elapsed()}, self.path)

    def finished_models(self) -> list[ModelRecord]:
        return [ModelRecord(id=m["id"], estimator=m["estimator"], params=m["params"], score=m["score"],
                            artifact=m["artifact"], status=m["status"], extra=m["extra"]) for m in self.models]

    def record_model(self, *, estimator: str, params: dict[str, Any], score: float | None, fit_seconds: float,
                     artifact: str | None, status: str = "ok", error: str | None = None,
                     extra: dict[str, Any] | None = None) -> int:
        model_id = len(self.models) + 1
        self.models.append({"id": model_id, "estimator": estimator, "params": json.loads(json.dumps(params)),
                            "score": score, "fit_seconds": fit_seconds, "artifact": artifact, "status": status,
                            "error": error, "extra": json.loads(json.dumps(extra or {}))})
        self._persist()
        return model_id

    def record_ensemble(self, *, model_ids: list[int], weights: list[float], score: float,
                        manifest: dict[str, Any]) -> int:
        ensemble_id = len(self.ensembles) + 1
        self.ensembles.append({"id": ensemble_id, "model_ids": list(model_ids), "weights": list(weights),
                               "score": score, "manifest": json.loads(json.dumps(manifest)),
                               "run_time": self.elapsed()})
        self._persist()
        return ensemble_id

    def record_results(self, results: dict[str, Any]) -> None:
        self.results = json.loads(json.dumps(results))
        self.results_history += 1
        self._persist()

    def record_reports(self, ensemble_id: int, reports: dict[str, Any]) -> None:
        self.reports[ensemble_id] = json.loads(json.dumps(reports))
        self._persist()

    def elapsed(self) -> float:
        return self._elapsed_before + time.monotonic() - self._started
