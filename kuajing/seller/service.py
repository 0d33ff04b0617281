"""Seller profiles: who the seller is, where in the US, how many people, what shipping costs."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.kit.money import Money
from kuajing.kit.pagination import decode_cursor, encode_cursor
from kuajing.kit.time import utcnow
from kuajing.models import SellerProfile
from kuajing.seller import repository, vetting
from kuajing.seller.errors import (
    CurrencyNotAllowed,
    InvalidCustomsCode,
    InvalidEin,
    InvalidUsState,
    SellerProfileRequired,
)
from kuajing.seller.requirements import EIN
from kuajing.seller.snapshots import SellerFacts, SellerSnapshots
from kuajing.seller.states import US_STATES

MAX_SHIPPING_FEE_CENTS = 100_000  # $1,000 per order is already far beyond parcel rates
# A 10-character customs registration code or an 18-character unified social credit code; the
# CEB field itself is C..18 (domain-facts §3.2). Medium confidence that only these two occur.
CUSTOMS_CODE = re.compile(r"[0-9A-Z]{10}|[0-9A-Z]{18}")


@dataclass(frozen=True, slots=True)
class SellerSummary:
    profile: SellerProfile
    products: int  # products the seller lists, whatever their stock


async def save_profile(
    session: AsyncSession,
    sellers: SellerSnapshots,
    *,
    seller_id: int,
    legal_name: str,
    us_state: str,
    employees: int,
    shipping_fee: Money,
    customs_code: str | None = None,
    customs_name: str | None = None,
    story: dict[str, str] | None = None,
    ein: str | None = None,
) -> SellerProfile:
    """Save the seller's profile. A story or an EIN left out (None) stays as it was; a seller
    asked for more information who gives an EIN or a customs code is back in the review queue."""
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
    given_ein = ein.strip() if ein is not None else None
    if given_ein is not None and not EIN.fullmatch(given_ein):
        raise InvalidEin(message="The EIN is nine digits written NN-NNNNNNN, as the IRS letter shows it.")
    # A story left out stays as it was (a client that predates stories must not erase the one
    # written in the portal); an empty one clears it.
    told = (
        {}
        if story is None
        else {"story_en": story.get("en", "").strip(), "story_zh": story.get("zh", "").strip()}
    )
    saved = await repository.save_profile(
        session,
        {
            **told,
            **({} if given_ein is None else {"ein": given_ein}),
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
    sellers.forget(seller_id)
    if given_ein is not None or code is not None:
        await vetting.resubmit_if_asked(
            session, sellers, seller_id=seller_id, sent="their EIN and customs code", now=utcnow()
        )
    return saved


async def get_profile(session: AsyncSession, *, seller_id: int) -> SellerProfile:
    profile = await repository.get_profile(session, seller_id)
    if profile is None:
        raise SellerProfileRequired(message="Set up the seller profile first: PUT /api/v1/seller/profile.")
    return profile


async def sellers_by_state(
    session: AsyncSession, sellers: SellerSnapshots, *, per_state: int = 8
) -> dict[str, list[SellerFacts]]:
    """The sellers to feature, grouped by US state (USPS code), states in alphabetical order:
    in each state the `per_state` that list the most products. At most
    KUAJING_READ_CACHE_SECONDS old."""
    return await sellers.featured(session, per_state=per_state)


async def list_sellers(
    session: AsyncSession, *, cursor: str | None, limit: int, status: str | None = None
) -> tuple[list[SellerSummary], str | None]:
    """Sellers for the operator, the newest first (those who signed up last are the ones to
    look at), with their product counts, only those of `status` if given; and a cursor when
    there are more."""
    rows = await repository.profiles_page(
        session, before_id=decode_cursor(cursor), limit=limit + 1, status=status
    )
    page = [SellerSummary(profile, products) for profile, products in rows[:limit]]
    more = len(rows) > limit
    return page, encode_cursor(page[-1].profile.user_id) if more else None


async def find_profile(session: AsyncSession, *, seller_id: int) -> SellerProfile | None:
    """The seller's profile, None if they have not set one up."""
    return await repository.get_profile(session, seller_id)


async def legal_names(session: AsyncSession, seller_ids: Iterable[int]) -> dict[int, str]:
    """The businesses' legal names, by seller id, of those that have a profile."""
    return {
        seller_id: p.legal_name
        for seller_id, p in (await repository.get_profiles(session, seller_ids)).items()
    }
