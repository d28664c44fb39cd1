"""The SDK's HTTP client: shapes off the wire, error translation, retries, request ids, connection failures.

A canned-answer HTTP server (the standard library's) stands in for answers the real service never gives
(bare lists, 5xx, non-JSON); everything else runs against the real service.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from firefly_widgets.sdk import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    Client,
    InvalidRequestError,
    NotFoundError,
    PermissionError,
)


class CannedServer:
    """Answers ``routes[path] = (status, body_bytes, content_type)`` and records every request."""

    def __init__(self, routes: dict[str, tuple[int, bytes, str]]):
        self.routes = routes
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append({"method": self.command, "path": path, "query": query,
                                        "headers": dict(self.headers), "body": self.rfile.read(length)})
                status, body, content_type = server.routes.get(path.lstrip("/"), (404, b"", "text/plain"))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args) -> None:  # keep test output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _json(status: int, body) -> tuple[int, bytes, str]:
    return status, json.dumps(body).encode(), "application/json"


@pytest.fixture
def canned():
    server = CannedServer({
        "list": _json(200, [{"id": 1}]),
        "int": _json(200, {"result": 5}),
        "bool": _json(200, {"result": True}),
        "empty": (200, b"", "application/json"),
        "notjson": (200, b"<html>hello</html>", "text/html"),
        "boom": _json(500, {"error": "disk full", "message": "disk full"}),
        "html500": (502, b"Bad Gateway", "text/plain"),
        "forbidden": _json(403, {"error": "nope", "message": "not your task"}),
        "conflict": _json(409, {"error": "a task named x already exists", "message": "a task named x already exists"}),
        "fastapi": _json(422, {"detail": [{"loc": ["body", "timeout"], "msg": "must be positive"}]}),
        "plain404": _json(404, {"detail": "Not Found"}),
    })
    yield server
    server.close()


@pytest.mark.parametrize(
    ("path", "data"),
    [("list", {"result": [{"id": 1}]}), ("int", {"id": 5}), ("bool", {"result": True}), ("empty", {})],
)
def test_response_shapes_from_the_wire(canned, path, data):
    response = Client(canned.url, "tok").request("GET", path)
    assert response.to_dict() == data
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "error_class", "text"),
    [
        ("notjson", APIError, "not JSON"),
        ("boom", APIError, "HTTP 500: disk full"),
        ("html500", APIError, "Bad Gateway"),
        ("forbidden", PermissionError, "not your task"),
        ("conflict", InvalidRequestError, "already exists"),
        ("fastapi", InvalidRequestError, "timeout: must be positive"),
        ("plain404", NotFoundError, "/plain404: not found (no such id"),
    ],
)
def test_error_statuses_become_readable_errors(canned, path, error_class, text):
    with pytest.raises(error_class) as info:
        Client(canned.url, "tok").request("GET", path)
    assert text in str(info.value)
    assert "tok" not in str(info.value)  # the token never leaks into messages
    assert info.value.request_id  # the id we sent, for the service's log


def test_every_request_carries_token_and_a_fresh_request_id(canned):
    client = Client(canned.url, "secret")
    client.request("GET", "bool", params={"page": 0, "page_size": None, "filter": ["a:1", "a:2"]})
    client.request("POST", "int", json={"x": 1}, api_key="other")
    first, second = canned.requests
    assert "jwt=secret" in first["query"] and "page=0" in first["query"]
    assert "page_size" not in first["query"]  # None parameters are left out
    assert first["query"].count("filter=") == 2  # lists become repeated parameters
    assert "jwt=other" in second["query"]  # api_key overrides the client's token for one call
    ids = [r["headers"]["X-Request-ID"] for r in canned.requests]
    assert len(set(ids)) == 2 and all(uuid.UUID(i) for i in ids)
    assert json.loads(second["body"]) == {"x": 1}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_names_the_url_and_the_fix():
    url = f"http://127.0.0.1:{_free_port()}"
    client = Client(url, "tok", retries=2, backoff_factor=0.05)
    started = time.monotonic()
    with pytest.raises(APIConnectionError) as info:
        client.request("GET", "tasks")
    message = str(info.value)
    assert url in message and "connection refused" in message
    assert "FIREFLY_API_URL" in message and "firefly-widgets status" in message
    assert isinstance(info.value, ConnectionError)
    assert isinstance(info.value.__cause__, Exception)  # raised from the requests error
    assert time.monotonic() - started >= 0.05  # it backed off before giving up


@contextmanager
def flaky_server(failures: int) -> Iterator[dict]:
    """A raw TCP server that drops the first ``failures`` connections without answering, then answers 200."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    state = {"connections": 0, "url": f"http://127.0.0.1:{listener.getsockname()[1]}"}
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                state["connections"] += 1
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                except OSError:
                    continue
                if state["connections"] > failures:
                    body = b'{"result": 7}'
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        thread.join(2)
        listener.close()


def test_idempotent_calls_are_retried_after_a_dropped_connection():
    with flaky_server(failures=2) as server:
        response = Client(server["url"], "tok", retries=3, backoff_factor=0.01).request("GET", "tasks/7")
        assert response["id"] == 7
        assert server["connections"] == 3


def test_post_is_not_repeated_after_a_dropped_connection():
    with flaky_server(failures=1) as server:
        with pytest.raises(APIConnectionError):
            Client(server["url"], "tok", retries=3, backoff_factor=0.01).request("POST", "tasks")
        assert server["connections"] == 1  # the request may have been processed: never sent twice


def test_bad_url_and_method_are_refused_before_sending():
    with pytest.raises(InvalidRequestError, match="http:// or https://"):
        Client("localhost:8787")
    with pytest.raises(InvalidRequestError, match="Unsupported HTTP method"):
        Client("http://127.0.0.1:1").request("BREW", "coffee")


# -- against the real service ----------------------------------------------------------------------------
def test_unknown_id_is_a_readable_invalid_request(client):
    with pytest.raises(InvalidRequestError) as info:
        client.request("GET", "tasks/987654321")
    assert isinstance(info.value, NotFoundError)
    assert info.value.code == 404
    assert "987654321" in info.value.message


def test_wrong_token_is_an_authentication_error(service):
    with pytest.raises(AuthenticationError) as info:
        Client(service.url, "not-the-token").request("GET", "tasks")
    assert info.value.code == 401
    assert service.url in str(info.value) and "FIREFLY_TOKEN" in str(info.value)
    assert "not-the-token" not in str(info.value)


def test_request_id_is_echoed_by_the_service(client):
    response = client.request("GET", "tasks", params={"page_size": 1})
    assert uuid.UUID(response.request_id)
    assert set(response.to_dict()) >= {"hits", "total"}


def test_many_threads_share_one_client(client, make_dataset, iris_frame):
    dataset_id = make_dataset(iris_frame)
    errors: list[BaseException] = []
    answers: list[int] = []
    lock = threading.Lock()

    def poll() -> None:
        try:
            for _ in range(15):
                got = client.request("GET", f"datasets/{dataset_id}")["id"]
                listing = client.request("GET", "datasets", params={"page_size": 2})
                with lock:
                    answers.append(got)
                    answers.append(dataset_id if listing["total"] >= 1 else -1)
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=poll) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert len(answers) == 8 * 15 * 2
    assert set(answers) == {dataset_id}
