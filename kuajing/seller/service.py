"""Seller profiles: who the seller is, where in the US, how many people, what shipping costs."""

import re

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.kit.money import Money
from kuajing.kit.time import utcnow
from kuajing.models import SellerProfile
from kuajing.pricing import snapshots
from kuajing.seller import repository
from kuajing.seller.errors import (
    CurrencyNotAllowed,
    InvalidCustomsCode,
    InvalidUsState,
    SellerProfileRequired,
)
from kuajing.seller.states import US_STATES

MAX_SHIPPING_FEE_CENTS = 100_000  # $1,000 per order is already far beyond parcel rates
# A 10-character customs registration code or an 18-character unified social credit code; the
# CEB field itself is C..18 (domain-facts §3.2). Medium confidence that only these two occur.
CUSTOMS_CODE = re.compile(r"[0-9A-Z]{10}|[0-9A-Z]{18}")


async def save_profile(
    session: AsyncSession,
    *,
    seller_id: int,
    legal_name: str,
    us_state: str,
    employees: int,
    shipping_fee: Money,
    customs_code: str | None = None,
    customs_name: str | None = None,
) -> SellerProfile:
    state = us_state.upper()
    if state not in US_STATES:
        raise InvalidUsState(message=f"{us_state!r} is not a US state code (e.g. CA, WA, NY).")
    if shipping_fee.currency != "USD":
        raise CurrencyNotAllowed(message="Sellers set the shipping fee in USD.")
    if shipping_fee.amount > MAX_SHIPPING_FEE_CENTS:
        raise CurrencyNotAllowed(
            "shipping_fee_too_high", "The shipping fee is capped at $1,000.00 per order."
        )
    code = customs_code.strip().upper() if customs_code is not None else None
    if code is not None and not CUSTOMS_CODE.fullmatch(code):
        raise InvalidCustomsCode(
            message="The customs code is 10 or 18 letters and digits, as China customs registered it."
        )
    saved = await repository.save_profile(
        session,
        {
            "user_id": seller_id,
            "legal_name": legal_name.strip(),
            "us_state": state,
            "employees": employees,
            "shipping_fee_amount": shipping_fee.amount,
            "shipping_fee_currency": "USD",
            "customs_code": code,
            "customs_name": customs_name.strip() if customs_name is not None else None,
            "updated_at": utcnow(),
        },
    )
    snapshots.forget_seller(seller_id)
    return saved


async def get_profile(session: AsyncSession, *, seller_id: int) -> SellerProfile:
    profile = await repository.get_profile(session, seller_id)
    if profile is None:
        raise SellerProfileRequired(message="Set up the seller profile first: PUT /api/v1/seller/profile.")
    return profile


async def sellers_by_state(session: AsyncSession, *, limit: int = 200) -> dict[str, list[SellerProfile]]:
    """Sellers grouped by US state (USPS code), states in alphabetical order."""
    grouped: dict[str, list[SellerProfile]] = {}
    for profile in await repository.list_profiles(session, limit=limit):
        grouped.setdefault(profile.us_state, []).append(profile)
    return grouped
