from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from kuajing.kit.input_model import InputModel, VisibleText

EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"


class RegisterIn(InputModel):
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    password: str = Field(max_length=1024)
    role: Literal["buyer", "seller"]
    name: VisibleText = Field(min_length=1, max_length=100)


class TokenIn(InputModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class UserOut(BaseModel):
    id: int
    email: str
    role: str
    name: str


class RegisteredOut(BaseModel):
    user: UserOut
    token: str


class TokenOut(BaseModel):
    token: str


class SessionOut(BaseModel):
    id: int
    device: str = Field(description='What signed in: "api" or "web", and its User-Agent.')
    created_at: datetime
    last_used_at: datetime = Field(description="Within the hour: it is written at most hourly.")
    expires_at: datetime = Field(
        description="When it stops signing in unless used before (idle or absolute)."
    )
    current: bool = Field(description="The token this request came with.")


class SessionsOut(BaseModel):
    items: list[SessionOut]
