from datetime import date, datetime

from pydantic import BaseModel, Field

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
    updated_at: datetime
