from fastapi import APIRouter

from kuajing.auth.dependencies import SellerPrincipal
from kuajing.kit.money import Money
from kuajing.kit.money_schemas import MoneyModel
from kuajing.models import SellerProfile
from kuajing.runtime import SessionDep
from kuajing.seller import service
from kuajing.seller.dependencies import SellerSnapshotsDep
from kuajing.seller.schemas import ProfileIn, ProfileOut, StoryOut

router = APIRouter(tags=["seller"])


def _out(profile: SellerProfile) -> ProfileOut:
    return ProfileOut(
        seller_id=profile.user_id,
        legal_name=profile.legal_name,
        us_state=profile.us_state,
        employees=profile.employees,
        shipping_fee=MoneyModel.usd(profile.shipping_fee_amount),
        customs_code=profile.customs_code,
        customs_name=profile.customs_name,
        story=StoryOut(en=profile.story_en, zh=profile.story_zh),
        ein=profile.ein,
        status=profile.status,
        updated_at=profile.updated_at,
    )


@router.put("/seller/profile", response_model=ProfileOut)
async def put_profile(
    body: ProfileIn, seller: SellerPrincipal, session: SessionDep, sellers: SellerSnapshotsDep
) -> ProfileOut:
    profile = await service.save_profile(
        session,
        sellers,
        seller_id=seller.user_id,
        legal_name=body.legal_name,
        us_state=body.us_state,
        employees=body.employees,
        shipping_fee=Money(body.shipping_fee.amount, body.shipping_fee.currency),
        customs_code=body.customs_code,
        customs_name=body.customs_name,
        story=None if body.story is None else body.story.model_dump(),
        ein=body.ein,
    )
    return _out(profile)


@router.get("/seller/profile", response_model=ProfileOut)
async def get_profile(seller: SellerPrincipal, session: SessionDep) -> ProfileOut:
    return _out(await service.get_profile(session, seller_id=seller.user_id))
