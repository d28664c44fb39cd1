"""The FastAPI application of the local service."""

from __future__ import annotations

import logging
import secrets
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from firefly_widgets._version import __version__
from firefly_widgets.engine import EngineError
from firefly_widgets.engine.contract import ConfigError

from .db import Database
from .deps import Ctx, require_token
from .errors import ServiceError, error_body
from .listing import ListQueryError
from .routes import datasets, datasources, ensembles, predictions, tasks
from .scheduler import Scheduler
from .settings import ServiceSettings, write_private

__all__ = ["create_app", "read_or_create_token"]

log = logging.getLogger("firefly_widgets.server")


def read_or_create_token(path: Path) -> str:
    """The service's token, generated on first start and kept in a file only its user can read."""
    if path.exists():
        token = path.read_text().strip()
        if token:
            path.chmod(0o600)
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    write_private(path, token)
    return token


def _validation_message(err: RequestValidationError) -> str:
    parts = []
    for item in err.errors():
        loc = [str(x) for x in item.get("loc", ()) if x not in ("body", "query", "path")]
        field = ".".join(loc) or "body"
        msg = item.get("msg", "is invalid").removeprefix("Value error, ")
        if item.get("type") == "extra_forbidden":
            msg = "is not a known field"
        if item.get("type") == "missing":
            msg = "is required"
        parts.append(f"{field}: {msg}")
    return "; ".join(parts)


class RequestIdMiddleware:
    """Echo the request's ``X-Request-ID`` (or a new one) in the response headers."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request_id = None
        for key, value in scope.get("headers", ()):
            if key == b"x-request-id":
                request_id = value
                break
        request_id = request_id or str(uuid.uuid4()).encode()

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id))
            await send(message)

        return await self.app(scope, receive, send_with_id)


def create_app(settings: ServiceSettings) -> FastAPI:
    """Build the service: SQLite store under ``settings.home``, its scheduler, every route of the protocol."""
    settings.home.mkdir(parents=True, exist_ok=True)
    token = read_or_create_token(settings.token_path)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        db = Database(settings.db_path)
        scheduler = Scheduler(settings, db)
        app.state.ctx = Ctx(settings=settings, db=db, scheduler=scheduler, token=token)
        scheduler.start()
        try:
            yield
        finally:
            scheduler.shutdown()

    app = FastAPI(title="firefly_widgets local service", version=__version__, lifespan=lifespan,
                  description="A local service that speaks the Firefly.ai REST protocol and trains real models.")
    app.add_middleware(RequestIdMiddleware)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, err: ServiceError):
        return JSONResponse(error_body(err.message), status_code=err.status)

    @app.exception_handler(ConfigError)
    async def config_error(request: Request, err: ConfigError):
        message = str(err)
        if err.field and not message.startswith(f"{err.field}:"):
            message = f"{err.field}: {message}"
        return JSONResponse(error_body(message), status_code=400)

    @app.exception_handler(EngineError)
    async def engine_error(request: Request, err: EngineError):
        return JSONResponse(error_body(str(err)), status_code=400)

    @app.exception_handler(ListQueryError)
    async def list_error(request: Request, err: ListQueryError):
        return JSONResponse(error_body(str(err)), status_code=400)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, err: RequestValidationError):
        body = error_body(_validation_message(err))
        body["detail"] = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in err.errors()]
        return JSONResponse(body, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException):
        message = err.detail if isinstance(err.detail, str) else str(err.detail)
        if err.status_code == 404 and message == "Not Found":
            message = f"no route {request.method} {request.url.path}"
        return JSONResponse(error_body(message), status_code=err.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception):
        log.exception("unexpected error in %s %s", request.method, request.url.path)
        return JSONResponse(error_body(f"internal error: {type(err).__name__}: {err}"), status_code=500)

    @app.get("/health", tags=["service"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    secured = [Depends(require_token)]
    for module in (tasks, datasets, datasources, ensembles, predictions):
        app.include_router(module.router, dependencies=secured)
    app.include_router(ensembles.reports_router, dependencies=secured)
    return app
