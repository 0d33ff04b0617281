"""The demo marketplace is believable, fully priced, and seeding it twice duplicates nothing."""

import asyncio

from sqlalchemy import func, select

from kuajing.bootstrap import prepare_database
from kuajing.catalog.listing_prices import listing_prices
from kuajing.compliance.identity import parse_resident_id
from kuajing.demo import seed as demo_seed
from kuajing.kit.time import utcnow
from kuajing.models import Order, Product, ProductImage, SellerProfile, User
from tests.helpers import no_snapshots, process_runtime


async def _seed_twice_and_count(url):
    async with process_runtime(url) as runtime:
        database = runtime.database
        first = await demo_seed.seed(runtime)
        second = await demo_seed.seed(runtime)
        async with database.transaction(write=False) as session:
            products = list(await session.scalars(select(Product).where(Product.parent_id.is_(None))))
            variants = list(await session.scalars(select(Product).where(Product.parent_id.is_not(None))))
            states = set(await session.scalars(select(SellerProfile.us_state)))
            sellers = await session.scalar(select(func.count()).select_from(SellerProfile))
            orders = await session.scalar(select(func.count()).select_from(Order))
            buyers = await session.scalar(select(func.count()).where(User.role == "buyer"))
            prices = await listing_prices(session, no_snapshots(), products + variants)
            photographed = set(await session.scalars(select(ProductImage.product_id)))
        return first, second, products, variants, states, sellers, orders, buyers, prices, photographed


def test_demo_seed_is_complete_and_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    prepare_database(url)
    catalog = demo_seed.load_catalog()
    expected_products = sum(len(s["products"]) for s in catalog["sellers"])

    first, second, products, variants, states, sellers, orders, buyers, prices, photographed = asyncio.run(
        _seed_twice_and_count(url)
    )

    assert (first.products, second.products) == (expected_products, 0)
    assert (first.photos, second.photos) == (expected_products, 0)  # one drawn photo each, once
    assert (second.users, second.orders) == (0, 0)
    assert first.orders == len(catalog["buyers"]) * len(demo_seed.PAST_ORDERS)
    assert len(products) == expected_products >= 60
    assert sellers == len(catalog["sellers"]) >= 12
    assert len(states) == len({s["us_state"] for s in catalog["sellers"]}) >= 8
    assert orders == first.orders
    assert buyers == len(catalog["buyers"])
    assert {p.category for p in products} >= {"garments", "wine", "fruit"}
    # garments come in sizes: each size its own variant with its own stock
    expected_variants = [
        v["sku"] for s in catalog["sellers"] for p in s["products"] for v in p.get("variants", ())
    ]
    assert sorted(v.sku for v in variants) == sorted(expected_variants)
    assert len(expected_variants) == 11
    assert {v.category for v in variants} == {"garments"}
    # every demo product and variant is on the positive list and priced
    assert set(prices) == {p.id for p in products + variants}
    assert photographed == {p.id for p in products}
    for buyer in catalog["buyers"]:
        parse_resident_id(buyer["id_number"], today=utcnow().date())
