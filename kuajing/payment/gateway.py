"""Payment gateways behind one interface. The sandbox approves every charge and refund it is given."""

import uuid
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Charge:
    reference: str
    approved: bool


@dataclass(frozen=True, slots=True)
class Refund:
    reference: str
    approved: bool


class Gateway(Protocol):
    async def charge(self, *, order_id: int, amount: int, currency: str) -> Charge: ...

    async def refund(self, *, order_id: int, charge_reference: str, amount: int, currency: str) -> Refund: ...


class SandboxGateway:
    async def charge(self, *, order_id: int, amount: int, currency: str) -> Charge:
        return Charge(reference=f"sandbox_{uuid.uuid4().hex}", approved=True)

    async def refund(self, *, order_id: int, charge_reference: str, amount: int, currency: str) -> Refund:
        return Refund(reference=f"sandbox_refund_{uuid.uuid4().hex}", approved=True)


GATEWAYS: dict[str, Gateway] = {"sandbox": SandboxGateway()}
