"""Payment gateways behind one interface. The sandbox approves every charge and refund it is given."""

import hashlib
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

    async def refund(
        self, *, order_id: int, charge_reference: str, amount: int, currency: str, idempotency_key: str
    ) -> Refund:
        """Refund a charge. A retry with the same idempotency key must not pay out again: the
        gateway answers with the first refund (as card gateways document for their keys)."""
        ...


class SandboxGateway:
    async def charge(self, *, order_id: int, amount: int, currency: str) -> Charge:
        return Charge(reference=f"sandbox_{uuid.uuid4().hex}", approved=True)

    async def refund(
        self, *, order_id: int, charge_reference: str, amount: int, currency: str, idempotency_key: str
    ) -> Refund:
        # One refund per key, like a real gateway: the reference is derived from the key.
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
        return Refund(reference=f"sandbox_refund_{digest}", approved=True)


class Gateways:
    """The gateways this process charges and refunds through, by payment method."""

    def __init__(self, gateways: dict[str, Gateway]) -> None:
        self._by_method = dict(gateways)

    @classmethod
    def sandbox_only(cls) -> "Gateways":
        return cls({"sandbox": SandboxGateway()})

    def __getitem__(self, method: str) -> Gateway:
        return self._by_method[method]
