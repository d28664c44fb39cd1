"""Routes of ``ensembles`` and of their reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from .. import store
from ..db import loads
from ..deps import CtxDep, ListDep
from ..errors import Invalid, NotFound
from ..schemas import EnsembleRefit, NotesUpdate

router = APIRouter(prefix="/ensembles", tags=["ensembles"])
reports_router = APIRouter(prefix="/reports/ensembles", tags=["ensembles"])

REPORTS = ("feature_importance", "sensitivity", "confusion", "roc_curve", "test_prediction_sample", "architecture",
           "presentation")


@router.get("")
def list_ensembles(ctx: CtxDep, query: ListDep) -> dict[str, Any]:
    return store.list_rows(ctx.db, store.ENSEMBLES, query, store.ensemble_public)


@router.get("/{ensemble_id}")
async def get_ensemble(ctx: CtxDep, ensemble_id: int) -> dict[str, Any]:
    return store.get_ensemble(ctx.db, ensemble_id)


@router.delete("/{ensemble_id}")
def delete_ensemble(ctx: CtxDep, ensemble_id: int) -> dict[str, Any]:
    store.delete_ensemble(ctx.db, ensemble_id)
    return {"result": True}


@router.put("/{ensemble_id}/notes")
def edit_notes(ctx: CtxDep, ensemble_id: int, body: NotesUpdate) -> dict[str, Any]:
    store.update_ensemble_notes(ctx.db, ensemble_id, notes=body.notes)
    return {"ensemble_id": ensemble_id}


@router.get("/{ensemble_id}/summary")
async def summary(ctx: CtxDep, ensemble_id: int) -> dict[str, Any]:
    ensemble = store.get_ensemble(ctx.db, ensemble_id)
    ids = ensemble["model_ids"]
    rows = ctx.db.query(f"SELECT * FROM models WHERE id IN ({','.join('?' * len(ids))})", ids) if ids else []
    by_id = {r["id"]: r for r in rows}
    members = [{"model_id": m, "weight": w, "estimator": by_id[m]["estimator"] if m in by_id else None,
                "params": loads(by_id[m]["params"], {}) if m in by_id else None,
                "score": by_id[m]["score"] if m in by_id else None}
               for m, w in zip(ids, ensemble["weights"], strict=False)]
    return {"result": {**ensemble, "members": members}}


@router.post("/{ensemble_id}/refit")
def refit(ctx: CtxDep, ensemble_id: int, body: EnsembleRefit) -> dict[str, Any]:
    source = store.ensemble_row(ctx.db, ensemble_id)
    if source["state"] != "COMPLETED" or not source["manifest"]:
        raise Invalid(f"ensemble {ensemble_id} is {source['state']}; only a COMPLETED ensemble can be refit")
    task = store.task_row(ctx.db, source["task_id"])
    target = store.dataset_row(ctx.db, task["dataset_id"])["target"]
    columns = store.datasource_analysis(ctx.db, body.datasource_id).get("columns", [])
    if target not in columns:
        raise Invalid(f"datasource_id: datasource {body.datasource_id} has no column {target!r} (the target); "
                      "a refit trains on labelled data")
    new = store.create_ensemble_job(ctx.db, source=source, datasource_id=body.datasource_id)
    ctx.scheduler.wake()
    return {"ensemble_id": new["id"], "id": new["id"]}


@reports_router.get("/{ensemble_id}/{report}")
async def report(ctx: CtxDep, ensemble_id: int, report: str) -> dict[str, Any]:
    if report not in REPORTS:
        raise Invalid(f"report: must be one of {', '.join(REPORTS)}, got {report!r}")
    reports = store.get_ensemble_reports(ctx.db, ensemble_id)
    if report not in reports:
        raise NotFound(f"report {report!r} of ensemble", ensemble_id)
    return {"result": reports[report]}
