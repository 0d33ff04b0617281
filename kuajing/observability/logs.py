"""Log lines: one format for the whole process, structlog's rendering of the standard library's
records (every `logging.getLogger(__name__)` in the code, uvicorn's own lines included).

Each line carries timestamp (UTC, ISO 8601), level, logger, event and, inside a request, the
request's id (its X-Request-ID): JSON, one object a line, for a log shipper (KUAJING_LOG_FORMAT=
json), or key=value text for a person at a terminal (console, the default). Every value passes
through redaction.redact last, so a traceback's messages are masked too.
"""

import logging
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any, Literal, TextIO

import structlog
from structlog.typing import Processor

from kuajing.observability.redaction import redact

LogFormat = Literal["json", "console"]

# The id of the request being served, set by the access middleware for the request's task (and
# the tasks it starts, which copy its context).
REQUEST_ID: ContextVar[str | None] = ContextVar("kuajing_request_id", default=None)

_HANDLER = "kuajing"
# Record attributes that are no `extra`: uvicorn's copy of its message in colour, and what other
# handlers' formatters (pytest's, a second handler's) leave on a record they formatted first.
_DROPPED = ("color_message", "message", "asctime")
# Libraries that log every outgoing request, URL and query included, at INFO.
_QUIET = ("httpx", "httpcore")


def add_request_id(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    request_id = REQUEST_ID.get()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    return event_dict


def _drop_extras(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in _DROPPED:
        event_dict.pop(key, None)
    return event_dict


def formatter(log_format: LogFormat) -> structlog.stdlib.ProcessorFormatter:
    """The formatter of every handler: a record's fields, the request id and its `extra`, then
    the exception as text, redaction and the renderer."""
    renderer: Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            add_request_id,
            structlog.stdlib.ExtraAdder(),
            _drop_extras,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
    )


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to sys.stderr as it is when a line is written, not as it was when the handler was
    made (a test's captured stream, a stream a supervisor replaced)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure(*, log_format: LogFormat, level: str = "INFO") -> None:
    """Send every record of the process through one handler in `log_format` (again: the handler
    is replaced, never added twice). uvicorn's loggers hand their lines to it, and its access log
    is turned off: the access middleware writes one line a request, by route, not by raw path."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER:
            root.removeHandler(handler)
    handler = StderrHandler()
    handler.set_name(_HANDLER)
    handler.setFormatter(formatter(log_format))
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # no handler and no propagation: uvicorn sees hasHandlers() false and skips its access line
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
