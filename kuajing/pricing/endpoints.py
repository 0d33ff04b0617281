from fastapi import APIRouter

from kuajing.auth.dependencies import OperatorPrincipal
from kuajing.models import FxRate
from kuajing.pricing import service
from kuajing.pricing.dependencies import FxSnapshotsDep
from kuajing.pricing.schemas import FxRateEntry, FxRateIn, FxRateOut
from kuajing.runtime import SessionDep

router = APIRouter(tags=["pricing"])


def _fx_out(history: list[FxRate]) -> FxRateOut:
    current = history[0]
    return FxRateOut(
        base=current.base,
        quote=current.quote,
        rate=str(current.rate),
        set_at=current.set_at,
        set_by=current.set_by_id,
        history=[FxRateEntry(rate=str(r.rate), set_at=r.set_at, set_by=r.set_by_id) for r in history],
    )


@router.put("/fx-rates/{pair}", response_model=FxRateOut)
async def put_fx_rate(
    pair: str, body: FxRateIn, operator: OperatorPrincipal, session: SessionDep, fx: FxSnapshotsDep
) -> FxRateOut:
    await service.set_fx_rate(session, fx, pair=pair, rate=body.rate, operator_id=operator.user_id)
    return _fx_out(await service.fx_history(session, pair=pair))


@router.get("/fx-rates/{pair}", response_model=FxRateOut)
async def get_fx_rate(pair: str, session: SessionDep) -> FxRateOut:
    return _fx_out(await service.fx_history(session, pair=pair))
