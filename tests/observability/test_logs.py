"""One format for every log line: the standard library's records rendered by structlog, as JSON
or as text, with the request id when there is one."""

import io
import json
import logging
from datetime import datetime

import pytest

from kuajing.observability import logs

pytestmark = pytest.mark.once


def _written(log_format, write):
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.formatter(log_format))
    logger = logging.getLogger("kuajing.tests.logs")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        write(logger)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    return out.getvalue()


def test_a_json_line_carries_time_level_logger_event_request_id_and_extras():
    # given
    token = logs.REQUEST_ID.set("req-1")
    # when
    try:
        text = _written("json", lambda log: log.warning("order %d held", 42, extra={"deal_id": 7}))
    finally:
        logs.REQUEST_ID.reset(token)
    # then
    line = json.loads(text)
    assert datetime.fromisoformat(line.pop("timestamp")).utcoffset().total_seconds() == 0
    assert line == {
        "event": "order 42 held",
        "level": "warning",
        "logger": "kuajing.tests.logs",
        "request_id": "req-1",
        "deal_id": 7,
    }


def test_outside_a_request_a_line_has_no_request_id():
    line = json.loads(_written("json", lambda log: log.info("swept")))
    assert set(line) == {"event", "level", "logger", "timestamp"}


def test_the_console_format_is_one_readable_line():
    text = _written("console", lambda log: log.warning("order %d held", 42, extra={"deal_id": 7}))
    assert text.endswith(" [warning  ] order 42 held                  [kuajing.tests.logs] deal_id=7\n")


def test_configure_twice_keeps_one_handler_and_silences_uvicorns_access_log():
    # when
    logs.configure(log_format="console")
    logs.configure(log_format="console")
    # then
    root = logging.getLogger()
    assert [handler.get_name() for handler in root.handlers].count("kuajing") == 1
    assert root.level == logging.INFO
    assert logging.getLogger("uvicorn.access").hasHandlers() is False
    assert logging.getLogger("uvicorn.error").handlers == []
    assert logging.getLogger("uvicorn.error").propagate is True
