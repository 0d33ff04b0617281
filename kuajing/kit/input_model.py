"""The base of every request body: unknown fields refused, and text and numbers both databases
can store."""

import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

MAX_NESTING = 32
# C0 controls but tab, newline and carriage return, DEL, and the C1 controls: XML 1.0 (the customs
# messages) cannot carry most of them, and no person types them.
CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _check_text(value: Any, depth: int = 0) -> None:
    if depth > MAX_NESTING:
        raise ValueError("the body nests too deeply")
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text may not contain the NUL character")
        if CONTROL.search(value):
            raise ValueError("text may not contain control characters")
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


def _visible(value: str) -> str:
    if not value.strip():  # str.strip knows every Unicode space, the ideographic one included
        raise ValueError("must contain something besides spaces")
    return value


# Text a person must actually write: a name, a title, an address line.
VisibleText = Annotated[str, AfterValidator(_visible)]
