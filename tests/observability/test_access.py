"""One access line a request, by route template, carrying the request's X-Request-ID, as does
every line written while the request is served."""

import io
import json
import logging
from contextlib import contextmanager

from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from kuajing.observability import logs
from kuajing.observability.access import RequestObserver
from kuajing.web.response_headers import ResponseHeaders


@contextmanager
def json_lines():
    """Every record that reaches the root logger meanwhile, as the JSON lines it renders to."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        lines.extend(json.loads(line) for line in out.getvalue().splitlines())


def _access(lines):
    return [line for line in lines if line["logger"] == "kuajing.access"]


def test_the_access_line_names_the_route_and_carries_the_response_request_id(api):
    # when
    with json_lines() as lines:
        answer = api.get("/api/v1/products/987654321?q=putaojiu", headers={"X-Request-ID": "trace-7"})
    # then
    assert answer.status_code == 404
    assert answer.headers["x-request-id"] == "trace-7"
    (line,) = _access(lines)
    assert line["duration_ms"] >= 0
    del line["timestamp"], line["duration_ms"]
    assert line == {
        "event": "request",
        "level": "info",
        "logger": "kuajing.access",
        "request_id": "trace-7",
        "method": "GET",
        "route": "/api/v1/products/{product_id}",
        "status": 404,
    }


def test_without_an_id_sent_the_line_carries_the_one_the_response_was_given(api):
    with json_lines() as lines:
        answer = api.get("/healthz")
    (line,) = _access(lines)
    assert (line["route"], line["status"]) == ("/healthz", 200)
    assert line["request_id"] == answer.headers["x-request-id"]
    assert len(line["request_id"]) == 32


def test_a_path_no_route_serves_is_unmatched_and_a_static_file_is_its_mount(api):
    with json_lines() as lines:
        api.get("/no/such/page/12345")
        api.get("/static/kuajing.css")
    assert [(line["route"], line["status"]) for line in _access(lines)] == [
        ("unmatched", 404),
        ("/static/{path}", 200),
    ]


def _logging_app():
    def endpoint(request):
        logging.getLogger("kuajing.tests.inside").warning("inside the request")
        return PlainTextResponse("ok")

    def failing(request):
        raise RuntimeError("boom")

    app = Starlette(routes=[Route("/things/{thing_id}", endpoint), Route("/fail", failing)])
    observed = RequestObserver(app, metrics=False, access_log=True)
    return ResponseHeaders(observed)


def test_a_line_logged_while_serving_carries_the_request_id():
    # given
    client = TestClient(_logging_app())
    # when
    with json_lines() as lines:
        answer = client.get("/things/5")
    # then
    request_id = answer.headers["x-request-id"]
    inside = [line for line in lines if line["logger"] == "kuajing.tests.inside"]
    assert [(line["event"], line["request_id"]) for line in inside] == [("inside the request", request_id)]
    assert [(line["route"], line["request_id"]) for line in _access(lines)] == [
        ("/things/{thing_id}", request_id)
    ]


def test_an_exception_that_escapes_the_app_is_logged_as_a_500():
    client = TestClient(_logging_app(), raise_server_exceptions=False)
    with json_lines() as lines:
        assert client.get("/fail").status_code == 500
    assert [(line["route"], line["status"]) for line in _access(lines)] == [("/fail", 500)]
