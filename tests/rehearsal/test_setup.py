"""The rehearsal's stage on a live marketplace's database (`kuajing rehearse --url`): every row it
writes is marked as rehearsal traffic, or hangs off one that is."""

import asyncio

from sqlalchemy import select

from kuajing.db import Database
from kuajing.media.storage import Storage
from kuajing.models import ApiToken, BuyerIdentity, Campaign, Deal, Product, SellerProfile, User
from kuajing.rehearsal import cleanup
from kuajing.rehearsal.setup import EMAIL_DOMAIN
from tests.helpers import process_runtime
from tests.rehearsal.traffic import rehearsal_rows, row_counts, stage


def _clean_up(database_url: str) -> None:
    async def clean() -> None:
        async with process_runtime(database_url) as runtime:
            await cleanup.cleanup(runtime.database, runtime.get(Storage))

    asyncio.run(clean())


def test_every_row_the_stage_writes_is_marked_or_hangs_off_a_marked_one(marketplace):
    url = marketplace.database_url
    tables = ["users", "seller_profiles", "products", "campaigns", "deals", "buyer_identities", "api_tokens"]
    before = row_counts(url, tables)

    # when
    staged = stage(url, buyers=12, stock=3)

    try:
        # then: the operator, the seller and the 12 buyers; the seller's profile; one of each else
        assert rehearsal_rows(url) == {
            "users": 14,
            "seller_profiles": 1,
            "products": 1,
            "campaigns": 1,
            "deals": 1,
        }
        added = {table: n - before[table] for table, n in row_counts(url, tables).items()}
        assert added == {
            "users": 14,
            "seller_profiles": 1,
            "products": 1,
            "campaigns": 1,
            "deals": 1,
            "buyer_identities": 12,
            "api_tokens": 12,
        }

        async def read() -> tuple[set[int], set[str], set[int], tuple[bool, ...]]:
            database = Database(url)
            try:
                async with database.transaction(write=False) as session:
                    marked = set(await session.scalars(select(User.id).where(User.rehearsal)))
                    emails = set(await session.scalars(select(User.email).where(User.rehearsal)))
                    owners = set(
                        await session.scalars(
                            select(BuyerIdentity.user_id).where(BuyerIdentity.user_id.in_(marked))
                        )
                    )
                    owners |= set(
                        await session.scalars(select(ApiToken.user_id).where(ApiToken.user_id.in_(marked)))
                    )
                    flags = (
                        await session.scalar(
                            select(SellerProfile.rehearsal).where(SellerProfile.user_id == staged.seller_id)
                        ),
                        await session.scalar(
                            select(Product.rehearsal).where(Product.id == staged.product_id)
                        ),
                        await session.scalar(
                            select(Campaign.rehearsal).where(Campaign.id == staged.campaign_id)
                        ),
                        await session.scalar(select(Deal.rehearsal).where(Deal.id == staged.deal_id)),
                    )
                return marked, emails, owners, flags
            finally:
                await database.dispose()

        marked, emails, owners, flags = asyncio.run(read())
        assert marked == {staged.operator_id, staged.seller_id, *(buyer.id for buyer in staged.buyers)}
        assert {email.split("@")[1] for email in emails} == {EMAIL_DOMAIN}
        assert owners == {buyer.id for buyer in staged.buyers}
        assert flags == (True, True, True, True)
    finally:
        _clean_up(url)
    assert row_counts(url, tables) == before
