"""The seller portal's imports: a Shopify product CSV sent as a dry run (or straight in), the
job's page with a progress bar that reloads itself until it is done (no script needed), every
row's action and problems, the button that imports a checked file, and the problems as a CSV."""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kuajing.auth.tokens import Principal
from kuajing.catalog import imports, shopify
from kuajing.catalog.dependencies import SnapshotsDep
from kuajing.db import savepoint
from kuajing.errors import KuajingError
from kuajing.kit.ids import IdPath
from kuajing.media.dependencies import StorageDep
from kuajing.media.storage import Storage
from kuajing.runtime import SessionDep, database_of, runtime_of
from kuajing.web.access import english, signed_in_seller
from kuajing.web.session import check_csrf


def _photos(request: Request, storage: Storage) -> imports.Photos:
    return imports.Photos(storage, runtime_of(request).settings.image_hosts())


router = APIRouter(prefix="/seller", include_in_schema=False)


async def _list_page(
    request: Request, session: SessionDep, seller: Principal, *, error: str = "", status: int = 200
) -> Response:
    context = {
        "jobs": await imports.recent(session, seller_id=seller.user_id),
        "error": error,
        "viewer": seller,
    }
    return english(request, "seller/imports.html", context, status=status)


@router.get("/imports", response_class=HTMLResponse)
async def imports_page(request: Request, session: SessionDep) -> Response:
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    return await _list_page(request, session, seller)


@router.post("/imports", response_class=HTMLResponse)
async def send_import(
    request: Request,
    session: SessionDep,
    snapshots: SnapshotsDep,
    background: BackgroundTasks,
    storage: StorageDep,
    csrf_token: Annotated[str, Form(max_length=200)],
    file: Annotated[UploadFile, File()],
    mode: Annotated[str, Form(max_length=10)] = "check",
) -> Response:
    check_csrf(request, csrf_token)
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    data = await file.read(shopify.MAX_BYTES + 1)
    try:
        async with savepoint(session):
            job = await imports.start(
                session,
                seller_id=seller.user_id,
                filename=file.filename or "",
                data=data,
                dry_run=mode != "import",
            )
    except KuajingError as exc:
        return await _list_page(request, session, seller, error=exc.message, status=exc.status)
    background.add_task(imports.run, database_of(request), snapshots, job.id, _photos(request, storage))
    return RedirectResponse(f"/seller/imports/{job.id}", status_code=303)


@router.get("/imports/{import_id}", response_class=HTMLResponse)
async def import_page(request: Request, import_id: IdPath, session: SessionDep) -> Response:
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    job = await imports.find(session, seller_id=seller.user_id, import_id=import_id)
    context = {
        "job": job,
        "percent": imports.progress_percent(job),
        "finished": imports.finished(job),
        "with_problems": [row for row in job.report if row["problems"]],
        "viewer": seller,
    }
    return english(request, "seller/import.html", context)


@router.post("/imports/{import_id}/run", response_class=HTMLResponse)
async def import_checked(
    request: Request,
    import_id: IdPath,
    session: SessionDep,
    snapshots: SnapshotsDep,
    background: BackgroundTasks,
    storage: StorageDep,
    csrf_token: Annotated[str, Form(max_length=200)],
) -> Response:
    check_csrf(request, csrf_token)
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    job = await imports.import_checked(session, seller_id=seller.user_id, import_id=import_id)
    background.add_task(imports.run, database_of(request), snapshots, job.id, _photos(request, storage))
    return RedirectResponse(f"/seller/imports/{job.id}", status_code=303)


@router.get("/imports/{import_id}/report.csv")
async def import_report(request: Request, import_id: IdPath, session: SessionDep) -> Response:
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    job = await imports.find(session, seller_id=seller.user_id, import_id=import_id)
    return Response(
        imports.report_csv(job),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job.id}-report.csv"'},
    )
