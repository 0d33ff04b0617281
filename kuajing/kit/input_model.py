"""The base of every request body: unknown fields refused, and text and numbers both databases
can store."""

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

MAX_NESTING = 32


def _check_text(value: Any, depth: int = 0) -> None:
    if depth > MAX_NESTING:
        raise ValueError("the body nests too deeply")
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text may not contain the NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text must be valid Unicode (no unpaired surrogates)") from None
    elif isinstance(value, float) and not math.isfinite(value):
        # Python's JSON parser accepts NaN, Infinity and 1e400; no JSON column can store them.
        raise ValueError("numbers must be finite")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, depth + 1)
            _check_text(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_text(item, depth + 1)


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        _check_text(data)
        return data
