from datetime import datetime

from pydantic import BaseModel, Field, StrictInt

from kuajing.kit.input_model import InputModel, VisibleText
from kuajing.kit.money_schemas import MoneyIn, MoneyModel


class Story(InputModel):
    en: str = Field(default="", max_length=2000)
    zh: str = Field(default="", max_length=2000)


class StoryOut(BaseModel):
    en: str
    zh: str


class ProfileIn(InputModel):
    legal_name: VisibleText = Field(min_length=2, max_length=200)
    us_state: str = Field(min_length=2, max_length=2, description="Two-letter USPS code, e.g. CA.")
    employees: StrictInt = Field(ge=0, le=1_000_000)
    shipping_fee: MoneyIn = Field(description="Per-order shipping fee in USD.")
    customs_code: str | None = Field(
        default=None,
        max_length=18,
        description="Code registered with China customs (CEB311 ebcCode): 10 or 18 letters and digits. "
        "Until it is set, the seller's customs messages are drafted but not sent.",
    )
    customs_name: VisibleText | None = Field(
        default=None,
        min_length=2,
        max_length=100,
        description="Name registered with China customs (ebcName); the legal name if omitted.",
    )
    story: Story | None = Field(
        default=None,
        description="Who the seller is, in English and Chinese, shown to buyers on every product page. "
        "Omitted or null: the story stays as it was; empty strings clear it.",
    )
    ein: str | None = Field(
        default=None,
        max_length=10,
        description="The IRS Employer Identification Number, NN-NNNNNNN, for vetting. Omitted or null: "
        "it stays as it was.",
    )


class ProfileOut(BaseModel):
    seller_id: int
    legal_name: str
    us_state: str
    employees: int
    shipping_fee: MoneyModel
    customs_code: str | None
    customs_name: str | None
    story: StoryOut
    ein: str | None
    status: str = Field(
        description="Vetting: pending, info_requested, approved, rejected or suspended; only an "
        "approved seller's products are shown and sold (GET /api/v1/seller/application says what is missing)."
    )
    updated_at: datetime
