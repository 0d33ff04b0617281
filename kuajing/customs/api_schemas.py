"""Response bodies of the customs API. (Named so because kuajing/customs/schemas/ holds the XSDs.)"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class CustomsEventOut(BaseModel):
    from_status: str | None
    to_status: str
    actor_id: int | None
    reason: str
    created_at: datetime


class CustomsMessageOut(BaseModel):
    type: Literal["CEB311", "CEB411", "CEB511"]
    guid: str
    status: Literal["draft", "sent", "accepted", "rejected"]
    hold_reason: str | None
    created_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None
    receipt_code: str | None
    receipt_note: str | None
    events: list[CustomsEventOut]


class CustomsMessagesOut(BaseModel):
    order_id: int
    messages: list[CustomsMessageOut]
