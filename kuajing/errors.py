"""The one error base. Every domain error is a fact with an HTTP status and a stable code."""

from typing import Any


class KuajingError(Exception):
    status: int = 400
    code: str = "bad_request"

    def __init__(
        self, code: str | None = None, message: str = "", *, problems: list[dict[str, Any]] | None = None
    ):
        if code:
            self.code = code
        self.message = message or self.code.replace("_", " ")
        self.problems = problems or []
        super().__init__(self.message)


class InvalidInput(KuajingError):
    status = 422
    code = "invalid_input"


class NotAuthenticated(KuajingError):
    status = 401
    code = "not_authenticated"


class Forbidden(KuajingError):
    status = 403
    code = "forbidden"


class NotFound(KuajingError):
    status = 404
    code = "not_found"


class Conflict(KuajingError):
    status = 409
    code = "conflict"


class RateLimited(KuajingError):
    """Too many attempts: answered 429 with Retry-After, the seconds until one is let through."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str = "", *, retry_after: int) -> None:
        super().__init__(message=message or f"Too many attempts. Try again in {retry_after} seconds.")
        self.retry_after = retry_after
