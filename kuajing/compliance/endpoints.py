from fastapi import APIRouter

from kuajing.auth.dependencies import BuyerPrincipal, ThrottleDep
from kuajing.compliance import risk_notice, service
from kuajing.compliance.errors import IdentityMissing
from kuajing.compliance.identity import mask
from kuajing.compliance.schemas import IdentityIn, IdentityOut, RiskNoticeOut, RiskNoticePointOut
from kuajing.kit.time import beijing_date, utcnow
from kuajing.runtime import SessionDep

router = APIRouter(tags=["buyer"])


@router.get("/risk-notice", response_model=RiskNoticeOut)
async def get_risk_notice() -> RiskNoticeOut:
    """The CBEC risk notice in force, which every order must accept (and may name by version)."""
    notice = risk_notice.in_force(beijing_date(utcnow()))
    return RiskNoticeOut(
        version=notice.version,
        effective_from=notice.effective_from,
        points=[RiskNoticePointOut(key=p.key, zh=p.zh, en=p.en) for p in notice.points],
        source=notice.source,
    )


@router.put("/buyer/identity", response_model=IdentityOut)
async def put_identity(
    body: IdentityIn, buyer: BuyerPrincipal, session: SessionDep, throttle: ThrottleDep
) -> IdentityOut:
    await throttle.identity(user_id=buyer.user_id)  # no trying ID numbers one after another
    identity = await service.set_identity(
        session, user_id=buyer.user_id, name=body.name, id_number=body.id_number
    )
    return IdentityOut(
        name=identity.name, id_number_masked=mask(identity.id_number), updated_at=identity.updated_at
    )


@router.get("/buyer/identity", response_model=IdentityOut)
async def get_identity(buyer: BuyerPrincipal, session: SessionDep) -> IdentityOut:
    identity = await service.get_identity(session, user_id=buyer.user_id)
    if identity is None:
        raise IdentityMissing(message="No real-name identity on file yet.")
    return IdentityOut(
        name=identity.name, id_number_masked=mask(identity.id_number), updated_at=identity.updated_at
    )
