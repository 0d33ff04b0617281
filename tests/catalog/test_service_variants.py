"""Naming what a line sells, read from a worker's snapshot: a variant another worker added since
the snapshot was taken is found in the database before anything is refused."""

import pytest

from kuajing.catalog import service
from kuajing.catalog.errors import UnknownVariant, VariantRequired
from kuajing.catalog.snapshots import Snapshots
from kuajing.catalog.variants import NewVariant
from kuajing.kit.money import Money
from tests.auth.factories import seller_with_profile
from tests.catalog.factories import create_product, create_sweater, variant_ids


def test_a_variant_added_by_another_worker_is_sold_though_this_workers_snapshot_predates_it(app, api):
    seller = seller_with_profile(api)
    sweater = create_sweater(api, seller)
    wine = create_product(api, seller)
    size = variant_ids(sweater)
    this_worker = Snapshots.build(read_seconds=3600, rules_seconds=3600)  # nothing expires in the test

    async def resolve(session):
        # this worker reads the sweater with its three sizes
        first = await service.sellable_lines(
            session, this_worker, [(sweater["id"], size["L"], 2), (wine["id"], None, 1)]
        )
        # another worker adds XL (its own snapshots forget; this worker's do not)
        elsewhere = Snapshots.build(read_seconds=3600, rules_seconds=3600)
        extra = NewVariant(
            sku=sweater["sku"] + "-XL", options=["XL"], price=Money(12400, "USD"), stock=3, weight_grams=800
        )
        added = await service.add_variant(
            session, elsewhere, seller_id=seller.id, product_id=sweater["id"], variant=extra
        )
        # this worker still sells it, and still refuses what is wrong
        second = await service.sellable_lines(session, this_worker, [(sweater["id"], added.id, 1)])
        with pytest.raises(VariantRequired, match=f"Product {sweater['id']} comes in 4 variants"):
            await service.sellable_lines(session, this_worker, [(sweater["id"], None, 1)])
        with pytest.raises(UnknownVariant, match=f"Product {wine['id']} has no variant {size['S']}"):
            await service.sellable_lines(session, this_worker, [(wine["id"], size["S"], 1)])
        with pytest.raises(UnknownVariant, match=f"{size['M']} is a variant of product {sweater['id']}"):
            await service.sellable_lines(session, this_worker, [(size["M"], None, 1)])
        return first, second, added.id

    first, second, xl = app.run(resolve)
    assert first == [(size["L"], 2), (wine["id"], 1)]
    assert second == [(xl, 1)]
