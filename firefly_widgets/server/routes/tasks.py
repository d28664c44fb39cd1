"""Routes of ``tasks``: create, read, list, notes, progress, results, and the control operations."""

from __future__ import annotations

import shutil
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from firefly_widgets import engine

from .. import store
from ..deps import CtxDep, ListDep
from ..errors import Invalid
from ..lifecycle import apply_operation, stop_for_delete
from ..schemas import NotesUpdate, TaskCreate

router = APIRouter(prefix="/tasks", tags=["tasks"])

TaskId = Annotated[int, Path(description="the task's id")]


def _submitted(task_id: int, state: str) -> dict[str, Any]:
    return {"result": True, "task_id": task_id, "state": state, "message": "submitted"}


@router.get("")
def list_tasks(ctx: CtxDep, query: ListDep) -> dict[str, Any]:
    return store.list_rows(ctx.db, store.TASKS, query, store.task_public)


@router.get("/configuration/options")
def configuration_options(ctx: CtxDep, dataset_id: int,
                          interpretable: Annotated[int | None, Query(ge=0, le=3)] = None) -> dict[str, Any]:
    dataset = store.get_dataset(ctx.db, dataset_id)
    return engine.available_options(dataset["problem_type"], interpretable)


@router.post("")
def create_task(ctx: CtxDep, body: TaskCreate) -> dict[str, Any]:
    dataset = store.dataset_record(ctx.db, body.dataset_id)
    config = body.model_dump(mode="json", exclude_none=True)
    config = engine.validate_task_config(config, dataset=dataset)
    task = store.create_task(ctx.db, config=config, dataset=dataset)
    ctx.scheduler.wake()
    return {"task_id": task["id"], "id": task["id"]}


@router.get("/{task_id}")
async def get_task(ctx: CtxDep, task_id: TaskId) -> dict[str, Any]:
    return store.get_task(ctx.db, task_id)


@router.delete("/{task_id}")
def delete_task(ctx: CtxDep, task_id: TaskId) -> dict[str, Any]:
    ctx.scheduler.kill(stop_for_delete(ctx.db, task_id))
    store.delete_task(ctx.db, task_id)
    shutil.rmtree(ctx.settings.task_dir(task_id), ignore_errors=True)
    return {"result": True}


@router.put("/{task_id}/notes")
def edit_notes(ctx: CtxDep, task_id: TaskId, body: NotesUpdate) -> dict[str, Any]:
    store.update_task_notes(ctx.db, task_id, notes=body.notes)
    return {"task_id": task_id}


@router.get("/{task_id}/progress")
async def progress(ctx: CtxDep, task_id: TaskId,
             since: Annotated[int, Query(ge=0, description="skip the first N entries")] = 0) -> dict[str, Any]:
    # {"result": [...]}, not a bare list: the official client reads an empty bare list as an empty response.
    return {"result": store.get_progress(ctx.db, task_id, since=since)}


@router.get("/{task_id}/results")
async def results(ctx: CtxDep, task_id: TaskId) -> dict[str, Any]:
    return {"result": store.get_results(ctx.db, task_id)}


def _operate(ctx: CtxDep, task_id: int, op: str, seconds: int | None = None) -> dict[str, Any]:
    ctx.scheduler.kill(apply_operation(ctx.db, task_id, op, seconds=seconds))
    ctx.scheduler.wake()
    return _submitted(task_id, store.get_task(ctx.db, task_id)["state"])


@router.post("/{task_id}/{operation}")
def operate(ctx: CtxDep, task_id: TaskId,
            operation: Annotated[Literal["pause", "resume", "cancel", "rerun"], Path()]) -> dict[str, Any]:
    """Pause, resume, cancel or rerun a task; a state that does not allow it is a 400 saying which do."""
    return _operate(ctx, task_id, operation)


@router.post("/{task_id}/add_additional_time/{seconds}")
def add_time(ctx: CtxDep, task_id: TaskId, seconds: Annotated[int, Path()]) -> dict[str, Any]:
    if seconds <= 0:
        raise Invalid(f"new_time_budget: must be a positive number of seconds, got {seconds}")
    return _operate(ctx, task_id, "add_time", seconds)
