"""The seller's product imports over the API: a CSV sent, checked (a dry run) or imported in the
background, its progress and report read, its problems downloaded as a CSV."""

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from kuajing.auth.dependencies import SellerPrincipal
from kuajing.catalog import imports, shopify
from kuajing.catalog.dependencies import SnapshotsDep
from kuajing.kit.ids import IdPath
from kuajing.media.dependencies import StorageDep
from kuajing.media.storage import Storage
from kuajing.models import CatalogImport
from kuajing.problems import ProblemOut
from kuajing.runtime import SessionDep, database_of, runtime_of


def _photos(request: Request, storage: Storage) -> imports.Photos:
    return imports.Photos(storage, runtime_of(request).settings.image_hosts())


router = APIRouter(tags=["imports"])


class ImportProblemOut(BaseModel):
    code: str
    message: str
    blocking: bool = Field(description="The row is not imported until this is fixed.")


class ImportRowOut(BaseModel):
    line: int
    sku: str
    title: str
    action: str = Field(description="create, update or skip.")
    problems: list[ImportProblemOut]


class ImportOut(BaseModel):
    id: int
    status: str = Field(description="queued, checking, checked (a dry run's end), importing, done or failed.")
    dry_run: bool
    filename: str
    format: str
    total: int
    processed: int
    percent: int
    created: int
    updated: int
    skipped: int
    failure: str | None
    rows: list[ImportRowOut] = Field(description="Every item once checked: what it does, its problems.")
    errors: list[ImportRowOut] = Field(description="The rows not imported, with why.")


def import_out(job: CatalogImport) -> ImportOut:
    rows = [ImportRowOut.model_validate(row) for row in job.report]
    return ImportOut(
        id=job.id,
        status=job.status,
        dry_run=job.dry_run,
        filename=job.filename,
        format=job.format,
        total=job.total,
        processed=job.processed,
        percent=imports.progress_percent(job),
        created=job.created,
        updated=job.updated,
        skipped=job.skipped,
        failure=job.failure,
        rows=rows,
        errors=[row for row in rows if row.action == "skip"],
    )


async def upload_bytes(file: UploadFile) -> bytes:
    return await file.read(shopify.MAX_BYTES + 1)


@router.post(
    "/seller/imports",
    status_code=202,
    response_model=ImportOut,
    responses={422: {"model": ProblemOut}, 413: {"model": ProblemOut}},
)
async def start_import(
    request: Request,
    file: UploadFile,
    seller: SellerPrincipal,
    session: SessionDep,
    snapshots: SnapshotsDep,
    background: BackgroundTasks,
    storage: StorageDep,
    dry_run: Annotated[bool, Form()] = True,
) -> Any:
    """A Shopify product CSV (classic or current headers, plus kuajing's HS Code, Title (zh),
    Body (zh) and Category columns), checked (dry_run, the default) or imported in the
    background: 202 with the job to follow. A file that is not a product CSV is refused at once
    (unreadable_import, import_too_large) and nothing is kept."""
    job = await imports.start(
        session,
        seller_id=seller.user_id,
        filename=file.filename or "",
        data=await upload_bytes(file),
        dry_run=dry_run,
    )
    background.add_task(imports.run, database_of(request), snapshots, job.id, _photos(request, storage))
    return JSONResponse(import_out(job).model_dump(mode="json"), status_code=202)


@router.get("/seller/imports/{import_id}", response_model=ImportOut)
async def get_import(import_id: IdPath, seller: SellerPrincipal, session: SessionDep) -> ImportOut:
    return import_out(await imports.find(session, seller_id=seller.user_id, import_id=import_id))


@router.post("/seller/imports/{import_id}/run", status_code=202, response_model=ImportOut)
async def run_import(
    request: Request,
    import_id: IdPath,
    seller: SellerPrincipal,
    session: SessionDep,
    snapshots: SnapshotsDep,
    background: BackgroundTasks,
    storage: StorageDep,
) -> Any:
    """Import what a finished dry run checked (409 import_not_ready otherwise)."""
    job = await imports.import_checked(session, seller_id=seller.user_id, import_id=import_id)
    background.add_task(imports.run, database_of(request), snapshots, job.id, _photos(request, storage))
    return JSONResponse(import_out(job).model_dump(mode="json"), status_code=202)


@router.get("/seller/imports/{import_id}/report.csv")
async def import_report(import_id: IdPath, seller: SellerPrincipal, session: SessionDep) -> Response:
    job = await imports.find(session, seller_id=seller.user_id, import_id=import_id)
    return Response(
        imports.report_csv(job),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job.id}-report.csv"'},
    )
