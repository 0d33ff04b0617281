""" "Suggest Chinese" on the product form: the glossary's drafts of the Chinese title and the wine
label's items, and the server's translation engine's draft of the description, each marked as a
suggestion until the seller saves the form.

These routes open no transaction of their own around the drafting: what they read (the seller,
their state, the product being edited and its photos) is read first in a short read transaction,
and a translation engine, which may take seconds of a core, then works with none open, holding
no connection and, on SQLite, not the write lock every order waits on.
"""

from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kuajing.auth.tokens import Principal
from kuajing.catalog import service as catalog_service
from kuajing.catalog import wording
from kuajing.catalog.dependencies import EngineDep, SnapshotsDep
from kuajing.catalog.translation import Engine
from kuajing.kit.ids import IdPath
from kuajing.kit.us_states import NAMES as STATE_NAMES
from kuajing.media.dependencies import StorageDep
from kuajing.runtime import database_of
from kuajing.seller import service as seller_service
from kuajing.web.access import signed_in_seller, whole
from kuajing.web.seller_portal import FormDep, alcohol_percent, form_page, own_product
from kuajing.web.session import check_csrf

router = APIRouter(prefix="/seller", include_in_schema=False)
# What "Suggest Chinese" may fill in when it is empty.
SUGGESTED = (
    "title_zh", "description_zh", "label_name", "label_type", "label_abv", "label_volume", "label_origin",
)  # fmt: skip


def glossary_drafts(typed: dict[str, str], state: str | None) -> dict[str, str]:
    """The glossary's Chinese title, and for a wine its label's items, from the English typed
    (`state`: the seller's US state, the wine's origin)."""
    state_zh = STATE_NAMES[state][0] if state in STATE_NAMES else None
    places = {english: chinese for chinese, english in STATE_NAMES.values()}
    wine = typed.get("category") == "wine"
    drafts: dict[str, str] = {}
    title = wording.title_zh(typed.get("title_en", ""), places=places, wine=wine)
    if title:
        drafts["title_zh"] = title
    if wine:
        abv = alcohol_percent(typed.get("wine_abv", "").strip().removesuffix("%").strip())
        volume = whole(typed.get("wine_volume_ml", ""))
        label = wording.wine_label(
            typed.get("title_en", ""),
            abv=Decimal(str(abv)) if abv is not None else None,
            volume_ml=volume if volume and volume > 0 else None,
            state_zh=state_zh,
            state_code=state,
        )
        drafts |= {f"label_{item}": text for item, text in label.items()}
    return drafts


async def suggested(
    engine: Engine, typed: dict[str, str], state: str | None
) -> tuple[dict[str, str], list[str]]:
    """The form with drafts in the Chinese fields left empty, and which those are: the glossary's,
    then the engine's description (and title, where the glossary knows none of its words)."""
    drafts = glossary_drafts(typed, state)
    for field, source in (("title_zh", "title_en"), ("description_zh", "description_en")):
        wanted = field not in drafts and not typed.get(field, "").strip()
        if wanted and (translated := await engine.to_chinese(typed.get(source, ""))) is not None:
            drafts[field] = translated
    filled = [name for name in SUGGESTED if name in drafts and not typed.get(name, "").strip()]
    return typed | {name: drafts[name] for name in filled}, filled


@router.post("/products/new/suggest", response_class=HTMLResponse)
async def suggest_new(request: Request, engine: EngineDep, form: FormDep) -> Response:
    check_csrf(request, form.csrf_token)
    async with database_of(request).transaction(write=False) as session:
        seller = await signed_in_seller(request, session)
        if not isinstance(seller, Principal):
            return seller
        profile = await seller_service.find_profile(session, seller_id=seller.user_id)
    typed, filled = await suggested(engine, form.typed, profile.us_state if profile else None)
    return form_page(request, seller, typed=typed, errors={}, preview=None, suggested=filled)


@router.post("/products/{product_id}/suggest", response_class=HTMLResponse)
async def suggest_edit(
    request: Request,
    product_id: IdPath,
    snapshots: SnapshotsDep,
    storage: StorageDep,
    engine: EngineDep,
    form: FormDep,
) -> Response:
    check_csrf(request, form.csrf_token)
    async with database_of(request).transaction(write=False) as session:
        seller = await signed_in_seller(request, session)
        if not isinstance(seller, Principal):
            return seller
        listing = await own_product(session, snapshots, seller, product_id)
        photos = (await catalog_service.images_of(session, storage, [product_id]))[product_id]
        profile = await seller_service.find_profile(session, seller_id=seller.user_id)
    typed = {**form.typed, "sku": listing.product.sku}
    typed, filled = await suggested(engine, typed, profile.us_state if profile else None)
    return form_page(
        request, seller, typed=typed, errors={}, preview=None, editing=listing,
        stock_was=form.stock_was, suggested=filled, photos=photos,
    )  # fmt: skip
