"""Personal data is masked out of log lines, by its shape or by the key it is logged under."""

import io
import json
import logging

import pytest

from kuajing.observability import logs
from kuajing.observability.redaction import redact, redact_text

pytestmark = pytest.mark.once


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("identity 11010519491231002X refused", "identity <id-number> refused"),
        ("identity 11010519491231002x refused", "identity <id-number> refused"),
        ("call 13800138000 or +86 13800138000", "call <phone> or <phone>"),
        ("call 8613800138000", "call <phone>"),
        ("收货：李娜，13800138000，上海市", "收货：李娜，<phone>，上海市"),
        ("from li.na+shop@example.com.cn today", "from <email> today"),
        ("Authorization: Bearer kj_abc.DEF-123", "Authorization: Bearer <token>"),
    ],
)
def test_shapes_of_personal_data_are_masked(text, masked):
    assert redact_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "order 12345 of deal 77 written",
        "request 5f0c13800138000aa1e2b3c4d5e6f708",  # a request id with a phone-like run inside
        "stream entry 1765432100123-0",  # a millisecond timestamp: 13 digits
        "landline 02112345678",
    ],
)
def test_what_only_resembles_personal_data_is_left(text):
    assert redact_text(text) == text


def test_values_logged_under_a_telling_key_are_masked_whole():
    # given
    line = {
        "event": "identity saved",
        "name": "李娜",
        "shipping_address": {"street": "世纪大道 100 号", "phone": "13800138000"},
        "password": "correct-horse-battery",
        "order_id": 42,
        "notes": ["mail li.na@example.com"],
    }
    # when
    redacted = redact(None, "info", line)
    # then
    assert redacted == {
        "event": "identity saved",
        "name": "<redacted>",
        "shipping_address": "<redacted>",
        "password": "<redacted>",
        "order_id": 42,
        "notes": ["mail <email>"],
    }


def test_a_standard_library_call_given_an_id_number_phone_and_email_comes_out_masked():
    # given
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.formatter("json"))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    # when
    try:
        logger.warning("buyer %s, %s, %s", "11010519491231002X", "13800138000", "li.na@example.com")
        try:
            raise ValueError("no identity 11010519491231002X")
        except ValueError:
            logger.exception("failed for %s", "13800138000")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    # then
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["event"] == "buyer <id-number>, <phone>, <email>"
    assert second["event"] == "failed for <phone>"
    assert second["exception"].endswith("ValueError: no identity <id-number>")
    assert "11010519491231002X" not in out.getvalue()
    assert "13800138000" not in out.getvalue()
