"""RFC 9457 problem details for every error the API can answer with."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from kuajing.errors import KuajingError, RateLimited

MEDIA_TYPE = "application/problem+json"


# One problem of a list shown before anything is refused (a quote's, a listing's).
class ProblemOut(BaseModel):
    code: str
    message: str
    product_id: int | None = None


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
}


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title or code.replace("_", " ").capitalize(),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if problems:
        body["problems"] = problems
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc if part != "body") or "body"


async def kuajing_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, KuajingError)
    answer = problem(exc.status, exc.code, exc.message, problems=exc.problems or None)
    if isinstance(exc, RateLimited):
        answer.headers["Retry-After"] = str(exc.retry_after)
    return answer


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem(400, "malformed_json", "The request body is not valid JSON.")
    items = [
        {
            "code": "invalid_field",
            "field": _field(tuple(e.get("loc", ()))),
            "message": str(e.get("msg", ""))[:300],
        }
        for e in errors[:50]
    ]
    return problem(422, "validation_error", "Some fields are missing or invalid.", problems=items)


async def http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else code
    response = problem(exc.status_code, code, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def database_busy(_request: Request, _exc: Exception) -> JSONResponse:
    # The worker's connection pool stayed full for its whole timeout: overload, not a bug.
    return problem(503, "service_busy", "The service is busy; nothing was changed. Try again shortly.")


async def unexpected(_request: Request, _exc: Exception) -> JSONResponse:
    return problem(500, "internal_error", "Something went wrong on our side; nothing was changed.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(KuajingError, kuajing_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(PoolTimeout, database_busy)
    app.add_exception_handler(Exception, unexpected)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            declare_problems(generate())
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


# Routes whose callers a Throttle may refuse (kuajing.auth.throttle) add this to their responses.
RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many attempts: wait the Retry-After header's seconds (rate_limited)."}
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Stable: what a client branches on."},
        "problems": {"type": "array", "items": {"type": "object"}},
    },
}
_WRITES = {"post", "put", "patch", "delete"}
# An operation marked so answers in someone else's format (a payment company's notification).
PROVIDER_ANSWERS = "x-provider-answers"


def declare_problems(schema: dict[str, Any]) -> None:
    """Say in the OpenAPI document what the server really answers when it refuses: every error
    is application/problem+json (RFC 9457) with a stable `code`, and each operation lists the
    statuses it can give: 400 (a body that is not JSON), 401 and 403 (behind a token), 404 (a
    path naming something), 409 (a write that conflicts), 422 (invalid input — not FastAPI's own
    error shape, which this server never sends), 429 where a throttle stands, and a default for
    the rest (413 for a large upload, 503 when busy)."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    content = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _WRITES | {"get"} or operation.get(PROVIDER_ANSWERS):
                continue
            responses = operation.setdefault("responses", {})
            refusals = {"422": "Invalid input (validation_error, or the operation's own code)."}
            if "requestBody" in operation:
                refusals["400"] = "The body is not valid JSON (malformed_json)."
            if operation.get("security"):
                refusals["401"] = "No token, or one unknown, revoked or expired."
                refusals["403"] = "The caller's role may not do this (forbidden)."
            if "{" in path:
                refusals["404"] = "What the path names does not exist, or is not the caller's."
            if method in _WRITES:
                refusals["409"] = "The request conflicts with the current state."
            if "429" in responses:
                refusals["429"] = responses["429"]["description"]
            refusals["default"] = "Any other refusal, in the same form."
            for status, description in refusals.items():
                responses[status] = {"description": description, "content": content}
