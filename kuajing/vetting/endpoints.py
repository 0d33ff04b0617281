"""Sellers vetted: the seller's application and documents, the operators' decisions."""

from typing import Annotated

from fastapi import APIRouter, Form, UploadFile
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth.dependencies import CurrentPrincipal, OperatorPrincipal, SellerPrincipal
from kuajing.catalog.dependencies import SnapshotsDep
from kuajing.errors import Forbidden
from kuajing.kit.ids import IdPath
from kuajing.kit.time import utcnow
from kuajing.media.dependencies import StorageDep
from kuajing.media.storage import Storage
from kuajing.models import Role, SellerDocument, SellerReview
from kuajing.problems import ProblemOut
from kuajing.runtime import SessionDep
from kuajing.seller.dependencies import SellerSnapshotsDep
from kuajing.seller.documents import MAX_BYTES
from kuajing.seller.status import Decision
from kuajing.seller.vetting import Application
from kuajing.vetting import service
from kuajing.vetting.schemas import (
    ApplicationOut,
    DocumentOut,
    MissingOut,
    ReviewedOut,
    ReviewIn,
    ReviewList,
    ReviewOut,
)

router = APIRouter(tags=["vetting"])


def document_out(document: SellerDocument) -> DocumentOut:
    return DocumentOut(
        id=document.id,
        kind=document.kind,
        filename=document.filename,
        content_type=document.content_type,
        size_bytes=document.size_bytes,
        uploaded_at=document.uploaded_at,
        url=f"/api/v1/sellers/{document.seller_id}/documents/{document.id}",
    )


def review_out(review: SellerReview, *, for_operator: bool) -> ReviewOut:
    return ReviewOut(
        id=review.id,
        decision=review.decision,
        status_from=review.status_from,
        status_to=review.status_to,
        reason=review.reason,
        actor_id=review.actor_id if for_operator else None,
        at=review.created_at,
    )


def application_out(found: Application, *, for_operator: bool) -> ApplicationOut:
    profile, last = found.profile, found.last_review
    return ApplicationOut(
        seller_id=profile.user_id,
        legal_name=profile.legal_name,
        status=profile.status,
        ein=profile.ein,
        customs_code=profile.customs_code,
        documents=[document_out(d) for d in found.current],
        missing=[MissingOut(code=m.code, message=m.message) for m in found.missing],
        reason=last.reason if last is not None else None,
        reviews=[review_out(r, for_operator=for_operator) for r in found.reviews],
    )


@router.get("/seller/application", response_model=ApplicationOut)
async def own_application(seller: SellerPrincipal, session: SessionDep) -> ApplicationOut:
    """The seller's vetting: their status, the last decision's reason, their documents and what
    is still missing before an operator can approve them."""
    found = await service.own_application(session, seller_id=seller.user_id)
    return application_out(found, for_operator=False)


@router.post(
    "/seller/documents",
    status_code=201,
    response_model=DocumentOut,
    responses={413: {"model": ProblemOut}, 422: {"model": ProblemOut}, 409: {"model": ProblemOut}},
)
async def upload_document(
    kind: Annotated[str, Form(max_length=32)],
    file: UploadFile,
    seller: SellerPrincipal,
    session: SessionDep,
    storage: StorageDep,
    sellers: SellerSnapshotsDep,
) -> DocumentOut:
    """A business document (PDF, PNG or JPEG, by its bytes; up to 10 MB) of `kind`: ein_letter,
    state_registration, customs_registration, fda_facility or ttb_permit. The newest of a kind
    stands in for older ones. Refused with nothing kept: unknown_document_kind,
    unsupported_document, document_too_large (413 when the request says it is larger)."""
    data = await file.read(MAX_BYTES + 1)
    document = await service.upload_document(
        session,
        storage,
        sellers,
        seller_id=seller.user_id,
        kind=kind,
        filename=file.filename or "",
        data=data,
        now=utcnow(),
    )
    return document_out(document)


@router.get("/sellers/{seller_id}/application", response_model=ApplicationOut)
async def seller_application(
    seller_id: IdPath, operator: OperatorPrincipal, session: SessionDep
) -> ApplicationOut:
    """A seller's vetting as operators review it. Operators only."""
    return application_out(await service.application(session, seller_id=seller_id), for_operator=True)


@router.post("/sellers/{seller_id}/review", response_model=ReviewedOut)
async def review_seller(
    seller_id: IdPath,
    body: ReviewIn,
    operator: OperatorPrincipal,
    session: SessionDep,
    snapshots: SnapshotsDep,
) -> ReviewedOut:
    """Approve, ask for more information, reject or suspend a seller, with the reason the seller
    reads. Only an approved seller's products are shown and sold. Refused: 409
    invalid_seller_transition (e.g. suspending a seller not approved; a rejection is final),
    409 application_incomplete (approving with something missing, each listed in `problems`),
    404 seller_not_found. Operators only."""
    profile = await service.review(
        session,
        snapshots,
        seller_id=seller_id,
        decision=Decision(body.decision),
        reason=body.reason,
        actor_id=operator.user_id,
        now=utcnow(),
    )
    return ReviewedOut(seller_id=profile.user_id, status=profile.status)


@router.get("/sellers/{seller_id}/reviews", response_model=ReviewList)
async def seller_reviews(seller_id: IdPath, operator: OperatorPrincipal, session: SessionDep) -> ReviewList:
    """Every change of the seller's status, the oldest first, with who made it and why: the
    vetting's audit trail. Operators only."""
    found = await service.application(session, seller_id=seller_id)
    return ReviewList(items=[review_out(r, for_operator=True) for r in found.reviews])


@router.get(
    "/sellers/{seller_id}/documents/{document_id}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}}}},
)
async def document_file(
    seller_id: IdPath, document_id: IdPath, caller: CurrentPrincipal, session: SessionDep, storage: StorageDep
) -> Response:
    """A document's file, for the seller who uploaded it and for operators; never cached."""
    if caller.role != Role.operator and not (caller.role == Role.seller and caller.user_id == seller_id):
        raise Forbidden(message="A seller's documents are for that seller and operators only.")
    return await document_download(session, storage, seller_id=seller_id, document_id=document_id)


async def document_download(
    session: AsyncSession, storage: Storage, *, seller_id: int, document_id: int
) -> Response:
    """A document's file as a download, never cached: for this route and the pages' links alike
    (the caller has checked who is asking)."""
    document, data = await service.document_file(
        session, storage, seller_id=seller_id, document_id=document_id
    )
    extension = document.storage_key.rsplit(".", 1)[-1]
    return Response(
        data,
        media_type=document.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{document.kind}-{document.id}.{extension}"',
            "Cache-Control": "private, no-store",  # nosniff: the response headers' middleware
        },
    )
