"""Routes of ``datasources``, including the local service's direct upload of a CSV file."""

from __future__ import annotations

import json
import os
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile

from firefly_widgets import engine

from .. import store
from ..deps import CtxDep, ListDep
from ..errors import Invalid, ServiceError
from ..listing import ListQuery
from ..schemas import DatasourceCreate

router = APIRouter(prefix="/datasources", tags=["datasources"])

_CHUNK = 1024 * 1024
_TYPES = {"base": "base_types", "feature": "feature_types", "warning": "warnings"}


class TooLarge(ServiceError):
    status = 413


@router.get("")
def list_datasources(ctx: CtxDep, query: ListDep) -> dict[str, Any]:
    return store.list_rows(ctx.db, store.DATASOURCES, query, store.datasource_public)


def _parse_na_values(text: str | None) -> list[str] | None:
    if text is None or text == "":
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = [part.strip() for part in text.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"na_values: must be a JSON list of strings, got {text!r}")
    return value


@router.post("/upload")
def upload(ctx: CtxDep, file: Annotated[UploadFile, File(description="a CSV file with a header row")],
           name: Annotated[str | None, Form()] = None,
           na_values: Annotated[str | None, Form(description="a JSON list of strings")] = None) -> dict[str, Any]:
    """Store and analyse a CSV file; answers once it is usable. Nothing is kept if it is refused."""
    name = (name or file.filename or "").strip()
    if not name:
        raise Invalid("name: give the datasource a name (or upload a file with a filename)")
    na = _parse_na_values(na_values)
    ctx.settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = ctx.settings.data_dir / f"{uuid.uuid4().hex}.csv"
    size = 0
    try:
        with open(path, "wb") as out:
            while chunk := file.file.read(_CHUNK):
                size += len(chunk)
                if size > ctx.settings.max_upload_bytes:
                    limit = ctx.settings.max_upload_bytes // (1024 * 1024)
                    raise TooLarge(f"file: the upload is larger than the limit of {limit} MB "
                                   "(set FIREFLY_MAX_UPLOAD_MB to raise it)")
                out.write(chunk)
        if size == 0:
            raise Invalid(f"file: {file.filename or 'the upload'} is empty; upload a CSV file with a header row")
        try:
            analysis = engine.analyze_csv(str(path), na_values=na)
        except engine.DataError as err:
            raise Invalid(f"file: {err}") from err
        source = store.create_datasource(ctx.db, name=name, path=str(path), na_values=na, analysis=analysis)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return {"id": source["id"]}


@router.post("/upload/details")
def upload_details() -> dict[str, Any]:
    raise Invalid("the local service has no cloud storage: upload the file with POST datasources/upload "
                  "(firefly_widgets.sdk.Datasource.create does this)")


@router.post("")
def create_datasource(ctx: CtxDep, body: DatasourceCreate) -> dict[str, Any]:
    existing = store.list_rows(ctx.db, store.DATASOURCES,
                               ListQuery(filter=(f"name:{body.name}",), page_size=1), store.datasource_public)
    if existing["total"]:
        return {"id": existing["hits"][0]["id"]}
    raise Invalid(f"name: no uploaded file named {body.name!r}; upload it first with POST datasources/upload "
                  "(the local service has no cloud storage)")


@router.get("/{datasource_id}")
async def get_datasource(ctx: CtxDep, datasource_id: int) -> dict[str, Any]:
    return store.get_datasource(ctx.db, datasource_id)


@router.get("/{datasource_id}/meta")
async def datasource_meta(ctx: CtxDep, datasource_id: int) -> dict[str, Any]:
    return {"result": store.datasource_analysis(ctx.db, datasource_id)}


@router.get("/{datasource_id}/data_types/{kind}")
async def data_types(ctx: CtxDep, datasource_id: int, kind: str) -> dict[str, Any]:
    if kind not in _TYPES:
        raise Invalid(f"kind: must be one of {', '.join(_TYPES)}, got {kind!r}")
    return {"result": store.datasource_analysis(ctx.db, datasource_id).get(_TYPES[kind], {})}


@router.delete("/{datasource_id}")
def delete_datasource(ctx: CtxDep, datasource_id: int) -> dict[str, Any]:
    path = store.delete_datasource(ctx.db, datasource_id)
    if path and os.path.exists(path):
        os.unlink(path)
    return {"result": True}
