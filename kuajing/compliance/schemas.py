from datetime import date, datetime

from pydantic import BaseModel, Field

from kuajing.kit.ids import MAX_ID
from kuajing.kit.input_model import InputModel, VisibleText


class IdentityIn(InputModel):
    name: VisibleText = Field(
        min_length=2, max_length=60, description="The real name on the resident ID card."
    )
    id_number: str = Field(min_length=1, max_length=32, description="18-character resident ID number.")


class RiskNoticePointOut(BaseModel):
    key: str
    zh: str
    en: str


class RiskNoticeOut(BaseModel):
    version: str
    effective_from: date
    points: list[RiskNoticePointOut]
    source: str


class IdentityOut(BaseModel):
    name: str
    id_number_masked: str
    verified: bool = Field(
        default=False, description="A payment company confirmed the payer of an order was this person."
    )
    updated_at: datetime


class ReasonIn(InputModel):
    reason: VisibleText = Field(min_length=5, max_length=300, description="Why: kept in the audit trail.")


class ClaimIn(ReasonIn):
    id_number: str = Field(min_length=1, max_length=32, description="The ID number in dispute.")
    to_user_id: int = Field(
        ge=1, le=MAX_ID, description="The buyer account of the person who proved it is theirs."
    )
    name: VisibleText = Field(min_length=2, max_length=60, description="The real name on their ID card.")


class ClaimResolvedOut(BaseModel):
    released_user_id: int | None = Field(
        description="The account that held the number and no longer does; null if none held it."
    )
    user_id: int = Field(description="The account that holds it now.")


class RevealedIdentityOut(BaseModel):
    order_id: int
    buyer_name: str
    buyer_id_number: str
