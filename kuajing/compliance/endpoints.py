from fastapi import APIRouter

from kuajing.auth.dependencies import BuyerPrincipal
from kuajing.compliance import service
from kuajing.compliance.errors import IdentityMissing
from kuajing.compliance.identity import mask
from kuajing.compliance.schemas import IdentityIn, IdentityOut
from kuajing.db import SessionDep

router = APIRouter(tags=["buyer"])


@router.put("/buyer/identity", response_model=IdentityOut)
async def put_identity(body: IdentityIn, buyer: BuyerPrincipal, session: SessionDep) -> IdentityOut:
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
