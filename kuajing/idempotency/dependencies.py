from typing import Annotated

from fastapi import Header

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Retry-safe key: the same key and body return the first answer.",
    ),
]
