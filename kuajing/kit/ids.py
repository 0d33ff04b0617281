"""Identifier bounds: primary keys are 32-bit on PostgreSQL, so larger ids cannot exist."""

from typing import Annotated

from fastapi import Path

MAX_ID = 2_147_483_647

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
