"""The rehearsal's stage, written straight into the rehearsal's database: a synthetic operator,
a seller with a customs profile, one product, a USD-CNY rate if none is set, a campaign open now,
a deal, and thousands of buyers with valid real-name identities and bearer tokens.

Every user, the seller's profile, the product, the campaign and the deal are marked as rehearsal
traffic (`rehearsal`), the shadow data of a full-link stress test: on a live deployment's
database (`kuajing rehearse --url`) the storefront, the console, the reports and payments leave
them and the orders of their deal out, and `kuajing rehearse --cleanup` deletes them all.

Buyers are written in bulk, not registered: registration spends ~50 ms of argon2 per password,
minutes for thousands. They share one hash of a random password nobody keeps, so nobody can log
in as them; their tokens are minted as auth mints them (random, stored as a SHA-256 digest), so a
server that reads the same database accepts them. Every name and email says "rehearsal".
"""

import random
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypedDict

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth import service as auth_service
from kuajing.auth.passwords import Passwords
from kuajing.auth.tokens import digest, new_token
from kuajing.catalog import service as catalog_service
from kuajing.catalog.snapshots import Snapshots
from kuajing.compliance.identity import check_character
from kuajing.flash_sale import service as flash_sale_service
from kuajing.kit.money import Money
from kuajing.kit.time import utcnow
from kuajing.media.storage import Storage
from kuajing.models import Role
from kuajing.pricing import service as pricing_service
from kuajing.rehearsal import repository
from kuajing.rehearsal.repository import NewBuyer
from kuajing.seller import service as seller_service
from kuajing.vetting import service as vetting_service

EMAIL_DOMAIN = "rehearsal.kuajing.invalid"  # .invalid: never a real mailbox
FX_RATE_IF_UNSET = "7.1000"
DEAL_PRICE_CENTS = 1_990  # $19.90: well inside the 5,000 CNY per-order limit at any quantity used here
# A Beijing (Xicheng) region code; birth years 1950-1999 keep every buyer an adult.
REGION = "110102"
FIRST_BIRTH_DATE = date(1950, 1, 1)
BIRTH_DAYS = 18_000


class _ProductFields(TypedDict):
    """The keyword arguments of catalog_service.create_product that describe the goods."""

    title: dict[str, str]
    description: dict[str, str]
    category: str
    hs_code: str
    weight_grams: int
    attributes: dict[str, Any]


# Cotton tees: on the positive list, no age rule, no label rule, so only stock decides a purchase.
_TEE: _ProductFields = {
    "title": {"en": "Rehearsal tee (synthetic, not for sale)", "zh": "彩排T恤（演练数据，非卖品）"},
    "description": {"en": "Synthetic product of a kuajing rehearsal.", "zh": "跨境双11演练的合成商品。"},
    "category": "garments",
    "hs_code": "6109.10",
    "weight_grams": 300,
    "attributes": {"gb18401_category": "B", "fit_height_cm": 175, "fit_chest_cm": 96},
}


@dataclass(frozen=True, slots=True)
class Buyer:
    id: int
    token: str


@dataclass(frozen=True, slots=True)
class Stage:
    tag: str
    operator_id: int
    seller_id: int
    product_id: int
    campaign_id: int
    deal_id: int
    stock: int
    per_buyer_limit: int
    buyers: list[Buyer]


def id_numbers(count: int, *, rng: random.Random) -> list[tuple[str, date]]:
    """`count` distinct valid resident ID numbers of adults, with their birth dates: a random
    first birth date, then 1,000 sequence numbers per day. Distinct people, because the CBEC
    yearly limit is counted per ID number."""
    first = FIRST_BIRTH_DATE + timedelta(days=rng.randrange(BIRTH_DAYS))
    out = []
    for i in range(count):
        born = first + timedelta(days=i // 1000)
        first17 = f"{REGION}{born:%Y%m%d}{i % 1000:03d}"
        out.append((first17 + check_character(first17), born))
    return out


async def _user(session: AsyncSession, *, tag: str, role: Role, name: str, password_hash: str) -> int:
    user = await auth_service.create_user(
        session, email=f"{tag}-{role.value}@{EMAIL_DOMAIN}", password_hash=password_hash, role=role, name=name
    )
    return user.id


async def stage(
    session: AsyncSession,
    snapshots: Snapshots,
    passwords: Passwords,
    storage: Storage,
    *,
    buyers: int,
    stock: int,
    per_buyer_limit: int,
    open_for: timedelta,
) -> Stage:
    """Create everything the rehearsal needs in the caller's transaction (the caller commits)."""
    tag = f"rehearsal-{utcnow():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    password_hash = await passwords.hash(secrets.token_urlsafe(24))
    operator_id = await _user(
        session, tag=tag, role=Role.operator, name="Rehearsal operator", password_hash=password_hash
    )
    seller_id = await _user(
        session, tag=tag, role=Role.seller, name="Rehearsal seller", password_hash=password_hash
    )
    await seller_service.save_profile(
        session,
        snapshots.sellers,
        seller_id=seller_id,
        legal_name=f"Rehearsal Apparel LLC ({tag})",
        us_state="NC",
        employees=1,
        shipping_fee=Money(500, "USD"),
        customs_code="KJREHEARS1",
        customs_name="kuajing rehearsal seller",
        ein="99-0000001",  # made up, as the seller is
    )
    if await snapshots.fx.usd_cny(session, fresh=True) is None:
        await pricing_service.set_fx_rate(
            session, snapshots.fx, pair="USD-CNY", rate=FX_RATE_IF_UNSET, operator_id=operator_id
        )
    product = await catalog_service.create_product(
        session,
        snapshots,
        seller_id=seller_id,
        sku=tag.upper()[:64],
        price=Money(2_990, "USD"),
        stock=stock,
        **_TEE,
    )
    now = utcnow()
    # vetted as a real seller is, on specimen documents: only an approved seller's goods sell
    await vetting_service.vet_with_specimens(
        session,
        storage,
        snapshots,
        seller_id=seller_id,
        operator_id=operator_id,
        reason="Rehearsal seller: its specimen documents were checked.",
        now=now,
    )
    campaign = await flash_sale_service.create_campaign(
        session,
        name=f"Rehearsal {tag}"[:100],
        starts_at=now - timedelta(minutes=1),
        ends_at=now + open_for,
        operator_id=operator_id,
    )
    view = await flash_sale_service.create_deal(
        session,
        snapshots,
        seller_id=seller_id,
        campaign_id=campaign.id,
        product_id=product.id,
        price=Money(DEAL_PRICE_CENTS, "USD"),
        quantity=stock,
        per_buyer_limit=per_buyer_limit,
    )
    tokens = [new_token() for _ in range(buyers)]
    people = id_numbers(buyers, rng=random.Random(secrets.randbits(32)))
    ids = await repository.add_buyers(
        session,
        [
            NewBuyer(
                email=f"{tag}-buyer-{i}@{EMAIL_DOMAIN}",
                name="演练买家",
                id_number=id_number,
                birth_date=born,
                token_hash=digest(token),
            )
            for i, (token, (id_number, born)) in enumerate(zip(tokens, people, strict=True))
        ],
        password_hash=password_hash,
        now=now,
    )
    # last: a campaign marked as a rehearsal's takes no deal (flash_sale.service.create_deal)
    await repository.mark(
        session,
        user_ids=[operator_id, seller_id],
        seller_id=seller_id,
        product_id=product.id,
        campaign_id=campaign.id,
        deal_id=view.deal.id,
    )
    return Stage(
        tag=tag,
        operator_id=operator_id,
        seller_id=seller_id,
        product_id=product.id,
        campaign_id=campaign.id,
        deal_id=view.deal.id,
        stock=stock,
        per_buyer_limit=per_buyer_limit,
        buyers=[Buyer(user_id, token) for user_id, token in zip(ids, tokens, strict=True)],
    )
