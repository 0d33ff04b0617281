"""Personal data masked out of log lines: the safety net under a rule the code keeps anyway (log ids,
never a buyer's name, ID number, phone, address, email or credentials).

Patterns catch what has a shape: an 18-character resident ID number, a mainland mobile number (11
digits from 1, "+86" or "86" before it or not), an email address, a bearer token. Names and
addresses have no shape, so a value logged under a key that says what it is (`phone=`,
`id_number=`, `address=`…) is masked whole. Over-masking is harmless here; a miss is not.
"""

import re
from collections.abc import Mapping, MutableMapping
from typing import Any

ID_NUMBER = "<id-number>"
PHONE = "<phone>"
EMAIL = "<email>"
TOKEN = "<token>"
MASKED = "<redacted>"

# Keys whose values are personal data or credentials whatever they look like.
SENSITIVE_KEYS = frozenset(
    {
        "address",
        "authorization",
        "buyer_name",
        "consignee",
        "cookie",
        "email",
        "id_number",
        "name",
        "password",
        "payer_name",
        "phone",
        "secret",
        "shipping_address",
        "token",
    }
)

_SHAPES = re.compile(
    r"(?P<id>(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z]))"
    r"|(?P<phone>(?<![0-9A-Za-z])(?:\+?86[ -]?)?1[3-9][0-9]{9}(?![0-9A-Za-z]))"
    r"|(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
    r"|(?P<bearer>(?i:bearer)\s+[A-Za-z0-9._~+/=-]+)"
)
_REPLACEMENTS = {"id": ID_NUMBER, "phone": PHONE, "email": EMAIL, "bearer": f"Bearer {TOKEN}"}
# What every shape above contains (11 digits in a row, an @, "bearer"): a line without any is
# left alone after one cheap scan rather than the full pattern's (a third of its cost).
_CANDIDATE = re.compile(r"[0-9]{11}|@|(?i:bearer)")
# Fields the formatter itself fills in.
_OWN_KEYS = frozenset({"timestamp", "level", "logger"})


def _replace(match: re.Match[str]) -> str:
    return _REPLACEMENTS[match.lastgroup or "id"]


def redact_text(text: str) -> str:
    """`text` with every ID number, mobile number, email address and bearer token masked."""
    if _CANDIDATE.search(text) is None:
        return text
    return _SHAPES.sub(_replace, text)


def _redact_value(key: str, value: Any) -> Any:
    if key.lower() in SENSITIVE_KEYS and value not in (None, ""):
        return MASKED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value("", item) for item in value]
    return value


def redact(_logger: object, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: every value of the line redacted (after the exception is rendered
    to text, so a traceback's messages are masked too)."""
    for key, value in event_dict.items():
        if key not in _OWN_KEYS:
            event_dict[key] = _redact_value(key, value)
    return event_dict
