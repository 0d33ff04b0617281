"""Opaque keyset cursors for list endpoints."""

import base64
import binascii
from collections.abc import Sequence
from typing import Protocol, TypeVar

from kuajing.errors import InvalidInput
from kuajing.kit.ids import MAX_ID


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
        prefix, _, value = text.partition(":")
        if prefix != "id":
            raise ValueError(text)
        last_id = int(value)
        if last_id < 0 or last_id > MAX_ID:
            raise ValueError(text)
        return last_id
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("invalid_cursor", "The cursor is not one this API issued.") from exc


class _HasId(Protocol):
    id: int


T = TypeVar("T", bound=_HasId)


def page_of(rows: Sequence[T], limit: int) -> tuple[list[T], str | None]:
    """Rows fetched with `limit + 1`: the page, and a cursor when there is more after it."""
    items = list(rows[:limit])
    return items, encode_cursor(items[-1].id) if len(rows) > limit else None


def encode_offset(offset: int) -> str:
    """A cursor into a result the server keeps in order (a search's), by position."""
    return base64.urlsafe_b64encode(f"at:{offset}".encode()).decode().rstrip("=")


def decode_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        prefix, _, value = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        offset = int(value)
        if prefix != "at" or not 0 <= offset <= MAX_ID:
            raise ValueError(value)
        return offset
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("invalid_cursor", "The cursor is not one this API issued.") from exc
