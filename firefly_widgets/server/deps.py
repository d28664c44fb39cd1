"""Shared dependencies of the routers, as ``Annotated`` aliases: the service context, the token, list params.

They are ``async`` because they never block: FastAPI runs a plain ``def`` dependency in the thread pool, and
three thread hops per request cost more than the request itself.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from .db import Database
from .errors import ServiceError
from .listing import ListQuery
from .scheduler import Scheduler
from .settings import ServiceSettings

__all__ = ["Ctx", "CtxDep", "ListDep", "Unauthorized", "require_token"]


class Unauthorized(ServiceError):
    status = 401


@dataclass
class Ctx:
    """What every handler may use: settings, the database and the scheduler."""

    settings: ServiceSettings
    db: Database
    scheduler: Scheduler
    token: str


async def _ctx(request: Request) -> Ctx:
    return request.app.state.ctx


CtxDep = Annotated[Ctx, Depends(_ctx)]


async def require_token(request: Request, ctx: CtxDep) -> None:
    """Every route but ``health`` needs the token: ``?jwt=...`` or ``Authorization: Bearer ...``."""
    given = request.query_params.get("jwt")
    if not given:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        given = value.strip() if scheme.lower() == "bearer" else ""
    if not given:
        raise Unauthorized("missing token: pass it as ?jwt=<token> or an 'Authorization: Bearer <token>' header")
    if not secrets.compare_digest(given.encode(), ctx.token.encode()):
        raise Unauthorized("invalid token")


async def _list_query(
    search_all_columns: Annotated[str | None, Query(max_length=500)] = None,
    page: Annotated[int, Query()] = 0,
    page_size: Annotated[int, Query()] = 100,
    sort: Annotated[list[str] | None, Query()] = None,
    filter: Annotated[list[str] | None, Query()] = None,
) -> ListQuery:
    return ListQuery(search=search_all_columns, page=page, page_size=page_size, sort=tuple(sort or ()),
                     filter=tuple(filter or ()))


ListDep = Annotated[ListQuery, Depends(_list_query)]
