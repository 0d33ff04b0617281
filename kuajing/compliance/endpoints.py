from typing import Annotated

from fastapi import APIRouter, Path, Response

from kuajing.auth.dependencies import BuyerPrincipal, OperatorPrincipal, ThrottleDep
from kuajing.compliance import risk_notice, service
from kuajing.compliance.errors import IdentityMissing
from kuajing.compliance.identity import mask
from kuajing.compliance.schemas import (
    ClaimIn,
    ClaimResolvedOut,
    IdentityIn,
    IdentityOut,
    ReasonIn,
    RevealedIdentityOut,
    RiskNoticeOut,
    RiskNoticePointOut,
)
from kuajing.kit.ids import MAX_ID
from kuajing.kit.time import beijing_date, utcnow
from kuajing.models import BuyerIdentity
from kuajing.problems import RATE_LIMITED
from kuajing.runtime import SessionDep

router = APIRouter(tags=["buyer"])


def _identity_out(identity: BuyerIdentity) -> IdentityOut:
    return IdentityOut(
        name=identity.name,
        id_number_masked=mask(identity.id_number),
        verified=identity.verified_at is not None,
        updated_at=identity.updated_at,
    )


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


@router.put("/buyer/identity", response_model=IdentityOut, responses=RATE_LIMITED)
async def put_identity(
    body: IdentityIn, buyer: BuyerPrincipal, session: SessionDep, throttle: ThrottleDep
) -> IdentityOut:
    await throttle.identity(user_id=buyer.user_id)  # no trying ID numbers one after another
    identity = await service.set_identity(
        session, user_id=buyer.user_id, name=body.name, id_number=body.id_number
    )
    return _identity_out(identity)


@router.get("/buyer/identity", response_model=IdentityOut)
async def get_identity(buyer: BuyerPrincipal, session: SessionDep) -> IdentityOut:
    identity = await service.get_identity(session, user_id=buyer.user_id)
    if identity is None:
        raise IdentityMissing(message="No real-name identity on file yet.")
    return _identity_out(identity)


@router.delete("/buyer/identity", status_code=204)
async def release_identity(buyer: BuyerPrincipal, session: SessionDep) -> Response:
    """Give up the ID number on file so another account may hold it. Refused once the account has
    ordered (identity_locked): then an operator resolves the claim."""
    await service.release_identity(session, user_id=buyer.user_id)
    return Response(status_code=204)


@router.post("/identities/release", response_model=ClaimResolvedOut)
async def resolve_claim(body: ClaimIn, operator: OperatorPrincipal, session: SessionDep) -> ClaimResolvedOut:
    """Give an ID number to the buyer account of the person who proved it is theirs, taking it
    from the account holding it in the same step; written to the personal-data audit trail with
    the reason. Operators only."""
    released = await service.resolve_claim(
        session,
        id_number=body.id_number,
        to_user_id=body.to_user_id,
        name=body.name,
        operator_id=operator.user_id,
        reason=body.reason,
        now=utcnow(),
    )
    return ClaimResolvedOut(released_user_id=released, user_id=body.to_user_id)


@router.post("/orders/{order_id}/buyer-identity/reveal", response_model=RevealedIdentityOut)
async def reveal_buyer_identity(
    order_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    body: ReasonIn,
    operator: OperatorPrincipal,
    session: SessionDep,
) -> RevealedIdentityOut:
    """The order's buyer's full name and ID number, for an operator who must see them (a
    customs query, a claim); the reveal and its reason go to the personal-data audit trail.
    Operators only: everywhere else the number is masked."""
    name, number = await service.reveal_order_identity(
        session, order_id=order_id, operator_id=operator.user_id, reason=body.reason, now=utcnow()
    )
    return RevealedIdentityOut(order_id=order_id, buyer_name=name, buyer_id_number=number)
