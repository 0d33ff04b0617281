from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from kuajing.kit.input_model import InputModel, VisibleText


class ReviewIn(InputModel):
    decision: Literal["approve", "request_info", "reject", "suspend"]
    reason: VisibleText = Field(
        min_length=3,
        max_length=1000,
        description="Why, as the seller reads it: what to send, what was wrong, what was checked.",
    )


class ReviewedOut(BaseModel):
    seller_id: int
    status: str


class DocumentOut(BaseModel):
    id: int
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    uploaded_at: datetime
    url: str = Field(description="The file, for the seller and operators only.")


class MissingOut(BaseModel):
    code: str
    message: str


class ReviewOut(BaseModel):
    id: int
    decision: str
    status_from: str
    status_to: str
    reason: str
    actor_id: int | None = Field(description="Who decided; shown to operators only.")
    at: datetime


class ApplicationOut(BaseModel):
    seller_id: int
    legal_name: str
    status: str
    ein: str | None
    customs_code: str | None
    documents: list[DocumentOut] = Field(description="The newest document of each kind.")
    missing: list[MissingOut] = Field(description="What an operator needs before approving.")
    reason: str | None = Field(description="The last decision's reason.")
    reviews: list[ReviewOut]


class ReviewList(BaseModel):
    items: list[ReviewOut]
