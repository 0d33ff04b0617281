"""The reconciler recomputes a deal's counters from its reservation rows: it reports drift field
by field and repairs it; a clean deal shows none. (`kuajing flash-sale check`, which exits on the
same: tests/cli/test_flash_sale.py.)"""

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.flash_sale.reconciler import Drift, Reconciliation
from kuajing.models import Deal, DealBuyer
from tests.flash_sale.factories import Ledger, deal_with_two_holders, ledger_of, purchase, reconcile
from tests.helpers import in_db


def test_a_clean_deal_shows_no_drift(api, operator_token, app):
    deal, _holder, _payer = deal_with_two_holders(api, operator_token)

    assert reconcile(app, deal["id"], repair=False) == Reconciliation(deal["id"], [], repaired=False)
    assert reconcile(app, deal["id"], repair=True) == Reconciliation(deal["id"], [], repaired=False)


def test_injected_drift_is_reported_field_by_field_then_repaired(api, operator_token, app):
    # given 7 remaining, 2 reserved, 1 sold, then counters knocked off their rows: a unit moved
    # from sold to remaining, the holder's counter zeroed and the payer's row gone
    deal, holder, payer = deal_with_two_holders(api, operator_token)
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

    in_db(app, corrupt)

    # when the reconciler only reports
    report = reconcile(app, deal_id, repair=False)

    # then each drifted field is named with the rows' value and the stored one, and nothing moved
    expected = [
        Drift("remaining", 7, 8),
        Drift("sold", 1, 0),
        Drift(f"buyer {holder.id} units", 2, 0),
        Drift(f"buyer {payer.id} units", 1, 0),
    ]
    assert report == Reconciliation(deal_id, expected, repaired=False)
    assert (ledger_of(app, deal_id).remaining, ledger_of(app, deal_id).sold) == (8, 0)

    # when it repairs, the same drift is reported as repaired and the counters match the rows again
    assert reconcile(app, deal_id, repair=True) == Reconciliation(deal_id, expected, repaired=True)
    assert ledger_of(app, deal_id) == Ledger(
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
    assert reconcile(app, deal_id, repair=False) == Reconciliation(deal_id, [], repaired=False)
    # and the repaired per-buyer counter holds again: the holder may take 1 more, not 2
    assert purchase(api, holder, deal_id, 2).json()["code"] == "buyer_limit_reached"
