"""Routes of ``predictions``, including the local service's CSV download."""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from .. import store
from ..deps import CtxDep, ListDep
from ..errors import Invalid
from ..schemas import PredictionCreate

router = APIRouter(prefix="/predictions", tags=["predictions"])


@router.get("")
def list_predictions(ctx: CtxDep, query: ListDep) -> dict[str, Any]:
    return store.list_rows(ctx.db, store.PREDICTIONS, query, store.prediction_public)


@router.post("")
def create_prediction(ctx: CtxDep, body: PredictionCreate) -> dict[str, Any]:
    datasource_id = body.datasource_id if body.datasource_id is not None else body.data_id
    if datasource_id is None:
        raise Invalid("datasource_id: give the id of the datasource to predict on")
    ensemble = store.ensemble_row(ctx.db, body.ensemble_id)
    if ensemble["state"] != "COMPLETED" or not ensemble["manifest"]:
        raise Invalid(f"ensemble_id: ensemble {body.ensemble_id} is {ensemble['state']}; "
                      "predictions need a COMPLETED ensemble")
    source = store.get_datasource(ctx.db, datasource_id)
    prediction = store.create_prediction(ctx.db, ensemble=ensemble, datasource_id=datasource_id,
                                         data_name=body.data_name or source["name"])
    ctx.scheduler.wake()
    return {"id": prediction["id"]}


@router.get("/{prediction_id}")
async def get_prediction(ctx: CtxDep, prediction_id: int) -> dict[str, Any]:
    return store.get_prediction(ctx.db, prediction_id)


@router.get("/{prediction_id}/download")
def download(ctx: CtxDep, prediction_id: int) -> FileResponse:
    row = store.prediction_row(ctx.db, prediction_id)
    if row["stage"] != "COMPLETED" or not row["path"] or not os.path.exists(row["path"]):
        raise Invalid(f"prediction {prediction_id} is not ready: it is {row['stage']}"
                      + (f" ({row['error']})" if row["error"] else ""))
    return FileResponse(row["path"], media_type="text/csv", filename=f"prediction-{prediction_id}.csv")


@router.delete("/{prediction_id}")
def delete_prediction(ctx: CtxDep, prediction_id: int) -> dict[str, Any]:
    path = store.delete_prediction(ctx.db, prediction_id)
    if path and os.path.exists(path):
        os.unlink(path)
    return {"result": True}
