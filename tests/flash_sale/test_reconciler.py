"""The reconciler recomputes a deal's counters from its reservation rows: it reports drift field
by field and repairs it; a clean deal shows none. `kuajing flash-sale check` exits on the same."""

import os
import subprocess
import sys

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.flash_sale import reconciler
from kuajing.flash_sale.reconciler import Drift, Reconciliation
from kuajing.models import Deal, DealBuyer
from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.compliance.factories import in_db
from tests.flash_sale.factories import Ledger, create_campaign, create_deal, ledger_of, purchase
from tests.order.factories import ADDRESS


def _reconcile(database_url: str, deal_id: int, *, repair: bool) -> Reconciliation:
    return in_db(
        database_url, lambda session: reconciler.reconcile_deal(session, deal_id=deal_id, repair=repair)
    )


def _deal_with_two_holders(api, operator_token):
    """A 10-unit deal (limit 3): one buyer holds 2 unpaid, another bought 1 and paid."""
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=10)
    deal = create_deal(
        api, seller, create_campaign(api, operator_token)["id"], wine["id"], quantity=10, per_buyer_limit=3
    )
    holder, payer = buyer_with_identity(api), buyer_with_identity(api)
    assert purchase(api, holder, deal["id"], 2).status_code == 201
    bought = purchase(api, payer, deal["id"], 1, shipping_address=ADDRESS)
    assert bought.status_code == 201, bought.text
    paid = api.post(
        f"/api/v1/orders/{bought.json()['order_id']}/pay", json={"method": "sandbox"}, headers=payer.headers
    )
    assert paid.status_code == 200, paid.text
    return deal, holder, payer


def test_a_clean_deal_shows_no_drift(api, operator_token, database_url):
    deal, _holder, _payer = _deal_with_two_holders(api, operator_token)

    assert _reconcile(database_url, deal["id"], repair=False) == Reconciliation(
        deal["id"], [], repaired=False
    )
    assert _reconcile(database_url, deal["id"], repair=True) == Reconciliation(deal["id"], [], repaired=False)


def test_injected_drift_is_reported_field_by_field_then_repaired(api, operator_token, database_url):
    # given 7 remaining, 2 reserved, 1 sold, then counters knocked off their rows: a unit moved
    # from sold to remaining, the holder's counter zeroed and the payer's row gone
    deal, holder, payer = _deal_with_two_holders(api, operator_token)
    deal_id = deal["id"]

    async def corrupt(session: AsyncSession) -> None:
        await session.execute(
            update(Deal).where(Deal.id == deal_id).values(remaining=Deal.remaining + 1, sold=Deal.sold - 1)
        )
        await session.execute(
            update(DealBuyer)
            .where(DealBuyer.deal_id == deal_id, DealBuyer.buyer_id == holder.id)
            .values(units=0)
        )
        await session.execute(
            delete(DealBuyer).where(DealBuyer.deal_id == deal_id, DealBuyer.buyer_id == payer.id)
        )

    in_db(database_url, corrupt)

    # when the reconciler only reports
    report = _reconcile(database_url, deal_id, repair=False)

    # then each drifted field is named with the rows' value and the stored one, and nothing moved
    expected = [
        Drift("remaining", 7, 8),
        Drift("sold", 1, 0),
        Drift(f"buyer {holder.id} units", 2, 0),
        Drift(f"buyer {payer.id} units", 1, 0),
    ]
    assert report == Reconciliation(deal_id, expected, repaired=False)
    assert (ledger_of(database_url, deal_id).remaining, ledger_of(database_url, deal_id).sold) == (8, 0)

    # when it repairs, the same drift is reported as repaired and the counters match the rows again
    assert _reconcile(database_url, deal_id, repair=True) == Reconciliation(deal_id, expected, repaired=True)
    assert ledger_of(database_url, deal_id) == Ledger(
        quantity=10,
        remaining=7,
        reserved=2,
        sold=1,
        held_units=2,
        sold_units=1,
        orders=2,
        order_units=3,
        most_units_per_buyer=2,
        most_orders_per_buyer=1,
        buyers=2,
    )
    assert _reconcile(database_url, deal_id, repair=False) == Reconciliation(deal_id, [], repaired=False)
    # and the repaired per-buyer counter holds again: the holder may take 1 more, not 2
    assert purchase(api, holder, deal_id, 2).json()["code"] == "buyer_limit_reached"


def test_the_check_command_exits_1_on_drift_and_0_once_repaired(api, operator_token, database_url):
    deal, _holder, _payer = _deal_with_two_holders(api, operator_token)
    deal_id = deal["id"]
    in_db(
        database_url,
        lambda session: session.execute(
            update(Deal)
            .where(Deal.id == deal_id)
            .values(remaining=Deal.remaining + 2, reserved=Deal.reserved - 2)
        ),
    )

    def check(*options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kuajing.cli", "flash-sale", "check", str(deal_id), *options],
            env={**os.environ, "KUAJING_DATABASE_URL": database_url, "COLUMNS": "200"},
            capture_output=True,
            text=True,
        )

    found = check()
    assert found.returncode == 1, found.stdout + found.stderr
    assert "reserved" in found.stdout and "remaining" in found.stdout
    repaired = check("--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "(repaired)" in repaired.stdout
    assert _reconcile(database_url, deal_id, repair=False) == Reconciliation(deal_id, [], repaired=False)
