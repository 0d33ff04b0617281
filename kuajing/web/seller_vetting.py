"""Vetting in the pages: the operators' review of one seller (their documents, what is missing,
every decision so far, and the decision form) and the seller's own application page (their
status, the last reason, what is missing, and the upload form). Both call the same service as
the API (kuajing.vetting.service); documents are read through here, never from /media."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth.tokens import Principal
from kuajing.catalog.dependencies import SnapshotsDep
from kuajing.db import savepoint
from kuajing.errors import KuajingError
from kuajing.kit.ids import IdPath
from kuajing.kit.time import utcnow
from kuajing.media.dependencies import StorageDep
from kuajing.models import Role
from kuajing.runtime import SessionDep
from kuajing.seller.dependencies import SellerSnapshotsDep
from kuajing.seller.documents import MAX_BYTES
from kuajing.seller.requirements import DocumentKind
from kuajing.seller.status import OPERATOR_DECISIONS, Decision
from kuajing.vetting import service as vetting_service
from kuajing.vetting.endpoints import document_download
from kuajing.web.access import signed_in_as
from kuajing.web.console_people import named
from kuajing.web.session import check_csrf
from kuajing.web.templates import render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form(max_length=1000)]
DECISIONS = [d.value for d in (Decision.approve, Decision.request_info, Decision.reject, Decision.suspend)]
KINDS = [k.value for k in DocumentKind]


async def _review_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    seller_id: int,
    *,
    error: str | None = None,
    problems: list[str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    found = await vetting_service.application(session, seller_id=seller_id)
    context = {
        "found": found,
        "decisions": DECISIONS,
        "people": await named(session, users=[r.actor_id for r in found.reviews]),
        "error": error,
        "problems": problems or [],
        "typed": typed or {},
        "viewer": principal,
    }
    return render(request, "console/seller.html", context, status=status, default_locale="en")


@router.get("/console/sellers/{seller_id}", response_class=HTMLResponse)
async def seller_review(request: Request, seller_id: IdPath, session: SessionDep) -> Response:
    principal = await signed_in_as(request, session, Role.operator)
    if not isinstance(principal, Principal):
        return principal
    return await _review_page(request, session, principal, seller_id)


@router.post("/console/sellers/{seller_id}/review", response_class=HTMLResponse)
async def decide(
    request: Request,
    seller_id: IdPath,
    session: SessionDep,
    snapshots: SnapshotsDep,
    csrf_token: Annotated[str, Form(max_length=300)],
    decision: Annotated[str, Form(max_length=20)] = "",
    reason: FormText = "",
) -> Response:
    """The decision, as POST /api/v1/sellers/{id}/review takes it; a refused one comes back with
    what was typed and why."""
    check_csrf(request, csrf_token)
    principal = await signed_in_as(request, session, Role.operator)
    if not isinstance(principal, Principal):
        return principal
    typed = {"decision": decision, "reason": reason}
    if decision not in DECISIONS or Decision(decision) not in OPERATOR_DECISIONS:
        return await _review_page(
            request, session, principal, seller_id, error="invalid_decision", typed=typed, status=422
        )
    if len(reason.strip()) < 3:
        return await _review_page(
            request, session, principal, seller_id, error="reason_required", typed=typed, status=422
        )
    try:
        async with savepoint(session):
            await vetting_service.review(
                session,
                snapshots,
                seller_id=seller_id,
                decision=Decision(decision),
                reason=reason,
                actor_id=principal.user_id,
                now=utcnow(),
            )
    except KuajingError as exc:
        missing = [str(p["code"]) for p in exc.problems]
        return await _review_page(
            request,
            session,
            principal,
            seller_id,
            error=exc.code,
            problems=missing,
            typed=typed,
            status=exc.status,
        )
    return RedirectResponse(f"/console/sellers/{seller_id}", status_code=303)


@router.get("/console/sellers/{seller_id}/documents/{document_id}")
async def operator_document(
    request: Request, seller_id: IdPath, document_id: IdPath, session: SessionDep, storage: StorageDep
) -> Response:
    principal = await signed_in_as(request, session, Role.operator)
    if not isinstance(principal, Principal):
        return principal
    return await document_download(session, storage, seller_id=seller_id, document_id=document_id)


async def _application_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    try:
        found = await vetting_service.own_application(session, seller_id=principal.user_id)
    except KuajingError:  # no profile yet: set it up first
        return RedirectResponse("/seller/profile", status_code=303)
    context = {"found": found, "kinds": KINDS, "error": error, "viewer": principal}
    return render(request, "seller/application.html", context, status=status, default_locale="en")


@router.get("/seller/application", response_class=HTMLResponse)
async def application(request: Request, session: SessionDep) -> Response:
    principal = await signed_in_as(request, session, Role.seller)
    if not isinstance(principal, Principal):
        return principal
    return await _application_page(request, session, principal)


@router.post("/seller/application/documents", response_class=HTMLResponse)
async def upload(
    request: Request,
    session: SessionDep,
    storage: StorageDep,
    sellers: SellerSnapshotsDep,
    csrf_token: Annotated[str, Form(max_length=300)],
    document: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    principal = await signed_in_as(request, session, Role.seller)
    if not isinstance(principal, Principal):
        return principal
    data = await document.read(MAX_BYTES + 1)
    try:
        async with savepoint(session):
            await vetting_service.upload_document(
                session,
                storage,
                sellers,
                seller_id=principal.user_id,
                kind=kind,
                filename=document.filename or "",
                data=data,
                now=utcnow(),
            )
    except KuajingError as exc:
        return await _application_page(request, session, principal, error=exc.code, status=exc.status)
    return RedirectResponse("/seller/application", status_code=303)


@router.get("/seller/application/documents/{document_id}")
async def own_document(
    request: Request, document_id: IdPath, session: SessionDep, storage: StorageDep
) -> Response:
    principal = await signed_in_as(request, session, Role.seller)
    if not isinstance(principal, Principal):
        return principal
    return await document_download(session, storage, seller_id=principal.user_id, document_id=document_id)
