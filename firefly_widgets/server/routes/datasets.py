"""Routes of ``datasets``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from firefly_widgets import engine

from .. import store
from ..db import loads
from ..deps import CtxDep, ListDep
from ..errors import Invalid
from ..schemas import DatasetCreate

router = APIRouter(prefix="/datasets", tags=["datasets"])


@router.get("")
def list_datasets(ctx: CtxDep, query: ListDep) -> dict[str, Any]:
    return store.list_rows(ctx.db, store.DATASETS, query, store.dataset_public)


@router.post("")
def create_dataset(ctx: CtxDep, body: DatasetCreate) -> dict[str, Any]:
    if body.header is False:
        raise Invalid("header: only CSV files with a header row are supported by the local service")
    source = store.datasource_row(ctx.db, body.data_id)
    options = body.model_dump(mode="json", exclude={"name", "data_id", "target", "problem_type"})
    if options.get("na_values") is None:
        options["na_values"] = loads(source["na_values"])
    meta = engine.describe_dataset(source["path"], target=body.target, problem_type=body.problem_type,
                                   na_values=options.get("na_values"), time_axis=body.time_axis,
                                   not_used=body.not_used)
    dataset = store.create_dataset(ctx.db, name=body.name, datasource_id=body.data_id,
                                   problem_type=body.problem_type, target=body.target, options=options, meta=meta)
    return {"id": dataset["id"]}


@router.get("/{dataset_id}")
async def get_dataset(ctx: CtxDep, dataset_id: int) -> dict[str, Any]:
    return store.get_dataset(ctx.db, dataset_id)


@router.get("/{dataset_id}/meta")
async def dataset_meta(ctx: CtxDep, dataset_id: int) -> dict[str, Any]:
    return {"result": store.dataset_record(ctx.db, dataset_id)["meta"]}


@router.delete("/{dataset_id}")
def delete_dataset(ctx: CtxDep, dataset_id: int) -> dict[str, Any]:
    store.delete_dataset(ctx.db, dataset_id)
    return {"result": True}
