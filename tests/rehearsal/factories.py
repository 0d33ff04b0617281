"""What the rehearsal's tests do to a deal behind the rehearsal's back: corrupt its counters the way
a lost write would, and put them right again."""

from sqlalchemy import update

from kuajing.db import Database
from kuajing.flash_sale import reconciler
from kuajing.models import Deal


async def move_a_reserved_unit_back(database: Database, deal_id: int) -> None:
    """Corrupt the counters the way a lost write would: the CHECK (they add up) still holds."""
    async with database.transaction(write=True) as session:
        await session.execute(
            update(Deal)
            .where(Deal.id == deal_id)
            .values(remaining=Deal.remaining + 1, reserved=Deal.reserved - 1)
        )


async def repair_counters(database: Database, deal_id: int) -> None:
    """Put the counters back: a drifted deal would stop the expiry sweeps of later tests when its
    orders come due (the sweeper refuses to release units a counter says are not reserved)."""
    async with database.transaction(write=True) as session:
        await reconciler.reconcile_deal(session, deal_id=deal_id, repair=True)
