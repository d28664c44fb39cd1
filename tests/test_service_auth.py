"""The service's security contract: token on every call but health, private files, loopback by default."""

from __future__ import annotations

import json
import stat
import uuid

import pytest


def test_health_needs_no_token(wire):
    response = wire.session.get(f"{wire.url}/health", timeout=10)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["version"]


@pytest.mark.parametrize("path", ["tasks", "datasets", "datasources", "ensembles", "predictions", "tasks/1"])
@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_every_route_but_health_needs_the_token(wire, path, token):
    response = wire.call("GET", path, token=token)
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == body["message"]
    assert "token" in body["message"]


def test_bearer_header_is_accepted(wire):
    response = wire.session.get(f"{wire.url}/tasks", headers={"Authorization": f"Bearer {wire.token}"}, timeout=10)
    assert response.status_code == 200
    assert set(response.json()) == {"hits", "total"}


def test_request_id_is_echoed(wire):
    request_id = str(uuid.uuid4())
    response = wire.call("GET", "tasks", headers={"X-Request-ID": request_id})
    assert response.headers["X-Request-ID"] == request_id
    assert wire.call("GET", "tasks").headers.get("X-Request-ID")


def test_token_and_server_json_are_private(service):
    for name in ("token", "server.json"):
        mode = stat.S_IMODE((service.home / name).stat().st_mode)
        assert mode == 0o600, f"{name} has mode {oct(mode)}"
    info = json.loads((service.home / "server.json").read_text())
    assert info["url"].startswith("http://127.0.0.1:")
    assert info["token"] == (service.home / "token").read_text().strip()
    assert info["pid"] == service.process.pid


def test_openapi_docs_are_served(wire):
    assert wire.session.get(f"{wire.url}/docs", timeout=10).status_code == 200
    schema = wire.session.get(f"{wire.url}/openapi.json", timeout=10).json()
    assert "/tasks/{task_id}/progress" in schema["paths"]
