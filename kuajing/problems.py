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
