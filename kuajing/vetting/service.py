"""Sellers vetted, end to end: the seller uploads their business documents (checked by their bytes,
kept privately in the media storage), an operator decides, and the decision shows at once in this
worker's storefront (the seller's facts and every kept search are forgotten; other workers within
KUAJING_READ_CACHE_SECONDS).

A document's file is written before its row: a transaction rolled back afterwards leaves a file
no row names (its key is its digest, so the same upload again writes the same file), never a row
without its file.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog.snapshots import Snapshots
from kuajing.media.storage import Storage, document_key
from kuajing.models import SellerDocument, SellerProfile
from kuajing.seller import documents, vetting
from kuajing.seller import service as seller_service
from kuajing.seller.errors import DocumentNotFound, UnknownDocumentKind
from kuajing.seller.requirements import DocumentKind
from kuajing.seller.snapshots import SellerSnapshots
from kuajing.seller.status import Decision
from kuajing.seller.vetting import Application
from kuajing.vetting.specimens import specimen


async def application(session: AsyncSession, *, seller_id: int) -> Application:
    """The seller's status, documents, what is missing and the decisions so far."""
    return await vetting.application(session, seller_id=seller_id)


async def own_application(session: AsyncSession, *, seller_id: int) -> Application:
    """application() for the seller themselves: seller_profile_required until they have a profile."""
    await seller_service.get_profile(session, seller_id=seller_id)
    return await vetting.application(session, seller_id=seller_id)


async def upload_document(
    session: AsyncSession,
    storage: Storage,
    sellers: SellerSnapshots,
    *,
    seller_id: int,
    kind: str,
    filename: str,
    data: bytes,
    now: datetime,
) -> SellerDocument:
    """Keep a document of the seller's; refused with nothing kept: an unknown kind, a file that is
    not PDF, PNG or JPEG (by its bytes), over 10 MB, or a seller without a profile."""
    if kind not in DocumentKind.__members__:
        raise UnknownDocumentKind(
            message=f"{kind!r} is not a document kind; one of {', '.join(k.value for k in DocumentKind)}."
        )
    await seller_service.get_profile(session, seller_id=seller_id)
    checked = documents.check(data, filename)
    key = document_key(seller_id, checked.digest, checked.extension)
    await storage.put(key, data, checked.content_type)
    return await vetting.add_document(
        session,
        sellers,
        seller_id=seller_id,
        kind=kind,
        checked=checked,
        size_bytes=len(data),
        storage_key=key,
        now=now,
    )


async def review(
    session: AsyncSession,
    snapshots: Snapshots,
    *,
    seller_id: int,
    decision: Decision,
    reason: str,
    actor_id: int,
    now: datetime,
) -> SellerProfile:
    """An operator's decision (see kuajing.seller.vetting.decide); the seller's products appear
    or disappear from this worker's pages at once."""
    profile = await vetting.decide(
        session,
        snapshots.sellers,
        seller_id=seller_id,
        decision=decision,
        reason=reason.strip(),
        actor_id=actor_id,
        now=now,
    )
    snapshots.products.forget_searches()
    return profile


async def document_file(
    session: AsyncSession, storage: Storage, *, seller_id: int, document_id: int
) -> tuple[SellerDocument, bytes]:
    """A document and its bytes, for its seller or an operator (the caller has checked who asks)."""
    document = await vetting.get_document(session, seller_id=seller_id, document_id=document_id)
    data = None if document is None else await storage.read(document.storage_key)
    if document is None or data is None:
        raise DocumentNotFound(message=f"Seller {seller_id} has no document {document_id}.")
    return document, data


async def vet_with_specimens(
    session: AsyncSession,
    storage: Storage,
    snapshots: Snapshots,
    *,
    seller_id: int,
    operator_id: int,
    reason: str,
    now: datetime,
) -> None:
    """For the demo's and the rehearsal's made-up sellers (whose profile has their EIN): a
    specimen of every document missing, then the operator's approval. Nothing if approved."""
    found = await vetting.application(session, seller_id=seller_id)
    if found.profile.status == "approved":
        return
    for gap in found.missing:
        if gap.code in DocumentKind.__members__:
            await upload_document(
                session,
                storage,
                snapshots.sellers,
                seller_id=seller_id,
                kind=gap.code,
                filename=f"{gap.code}-specimen.pdf",
                data=specimen(gap.code, found.profile.legal_name),
                now=now,
            )
    await review(
        session,
        snapshots,
        seller_id=seller_id,
        decision=Decision.approve,
        reason=reason,
        actor_id=operator_id,
        now=now,
    )
