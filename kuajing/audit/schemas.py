from datetime import datetime

from pydantic import BaseModel, Field


class ActorOut(BaseModel):
    id: int
    email: str
    role: str


class AuditEventOut(BaseModel):
    kind: str = Field(description="order: an order status change; customs: a customs message status change.")
    id: int = Field(description="The event's id within its kind.")
    order_id: int
    subject: str | None = Field(description="For customs events, the message type (CEB311, CEB411, CEB511).")
    from_status: str | None
    to_status: str
    actor: ActorOut | None = Field(description="Who made the change; null for the system (expiry, receipts).")
    reason: str
    at: datetime


class AuditPageOut(BaseModel):
    items: list[AuditEventOut]
    next_cursor: str | None


class RevealOut(BaseModel):
    id: int
    purpose: str = Field(
        description="customs_submission (a message sent to customs), operator_reveal (an operator "
        "read the number) or identity_released (an operator freed it from an account)."
    )
    subject_user_id: int = Field(description="Whose number: the buyer's account.")
    order_id: int | None
    actor: ActorOut | None = Field(description="Who took it; null for the platform itself.")
    reason: str
    at: datetime


class RevealPageOut(BaseModel):
    items: list[RevealOut]
    next_cursor: str | None = Field(description="Pass as `before` for the next, older page.")
