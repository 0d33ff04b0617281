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
