"""The demo's Singles' Day (kuajing/demo/sale.py): a fresh demo has five deals on now and a flash
sale of two starting ten minutes later, all priced with tax; seeding again while they run opens
nothing, and once the flash sale is over seeding opens the next one."""

import asyncio
from datetime import timedelta

from kuajing.bootstrap import prepare_database
from kuajing.catalog.snapshots import Snapshots
from kuajing.demo import seed as demo_seed
from kuajing.flash_sale import board
from kuajing.kit.time import utcnow
from tests.helpers import fresh_database, process_runtime


async def _seed_and_show(url, now):
    async with process_runtime(url) as runtime:
        steps: list[str] = []
        first = await demo_seed.seed(runtime, advance=steps.append, now=now)
        again = await demo_seed.seed(runtime, now=now + timedelta(minutes=5))
        async with runtime.database.transaction(write=False) as session:
            sales = await board.sale_page(session, runtime.get(Snapshots), campaign_id=None, now=now)
            shown = [
                (
                    sale.campaign.name,
                    sale.campaign.starts_at,
                    sale.campaign.ends_at,
                    [
                        (
                            card.product.sku,
                            card.deal.price_amount,
                            card.deal.quantity,
                            card.deal.per_buyer_limit,
                        )
                        for card in sale.deals
                    ],
                )
                for sale in sales
            ]
            cabernet = sales[0].deals[0]
            prices = (cabernet.regular.landed, cabernet.on_deal.landed, cabernet.on_deal.tax)
            unpriced = [card.product.sku for sale in sales for card in sale.deals if card.on_deal is None]
        later = await demo_seed.seed(runtime, now=now + timedelta(hours=3))
        return first, again, later, steps, shown, prices, unpriced


def test_a_fresh_demo_has_deals_on_now_and_a_flash_sale_starting_soon(test_database_url, tmp_path):
    url = fresh_database(test_database_url, tmp_path, "demo_sale")
    prepare_database(url)
    now = utcnow().replace(second=30, microsecond=0)
    minute = now.replace(second=0)

    first, again, later, steps, shown, prices, unpriced = asyncio.run(_seed_and_show(url, now))

    assert (first.campaigns, first.deals) == (2, 7)
    assert len(steps) == demo_seed.steps(demo_seed.load_catalog())
    # on now since an hour before seeding, for a day after it; the flash sale at the next whole
    # minute ten minutes on, for two hours; every deal an approved demo seller's
    assert shown == [
        (
            "双11 美国好物节",
            minute - timedelta(minutes=59),
            minute - timedelta(minutes=59) + timedelta(hours=25),
            [
                ("HALDEN-CAB-2021", 4900, 200, 2),
                ("KETTLE-HONEYCRISP-5KG", 4200, 150, 2),
                ("MUCKALEE-HALVES-454G", 1290, 300, 5),
                ("MAPLENOTCH-LOTION-236ML", 1680, 120, 3),
                ("PIEDMONT-KNIT-CABLE-M", 8800, 20, 1),
            ],
        ),
        (
            "双11 限时秒杀",
            minute + timedelta(minutes=11),
            minute + timedelta(minutes=11) + timedelta(hours=2),
            [("KETTLE-BING-2500G", 3990, 50, 1), ("TILLERY-PN-2022", 2490, 100, 2)],
        ),
    ]
    # the Napa cabernet, shipped for $28.00 at 7.1000: ¥803.53 as listed at $68.00, ¥644.50 at $49.00
    # (¥347.90 + ¥198.80 shipping + ¥42.52 consumption tax + ¥55.28 VAT)
    assert prices == (80353, 64450, 9780)
    assert unpriced == []
    # seeded again while both run: nothing; three hours on, the flash sale over: a new one
    assert (again.campaigns, again.deals) == (0, 0)
    assert (later.campaigns, later.deals) == (1, 2)
