"""The photos' files, served by the app when they are on local disk: each key always holds the
same bytes, so browsers may keep them for a year without asking again."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from kuajing.media.dependencies import StorageDep
from kuajing.media.images import CONTENT_TYPES
from kuajing.media.storage import CACHE_FOREVER, LocalStorage

router = APIRouter(tags=["media"])


@router.get("/media/{key:path}", include_in_schema=False)
async def media_file(key: str, storage: StorageDep) -> Response:
    path = storage.path(key) if isinstance(storage, LocalStorage) else None
    if path is None or not path.is_file():
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    return FileResponse(
        path,
        media_type=CONTENT_TYPES[Path(key).suffix.removeprefix(".")],
        headers={"Cache-Control": CACHE_FOREVER, "X-Content-Type-Options": "nosniff"},
    )
