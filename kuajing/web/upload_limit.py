"""Uploads are bounded before their body is read: a photo or an import whose request says it is
larger than allowed is refused 413 from its Content-Length alone, and one that does not say its
length (chunked) is refused 411, so no upload route ever spools more than its limit to disk
(the server holds a body to its declared length)."""

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from kuajing.catalog.shopify import MAX_BYTES as IMPORT_BYTES
from kuajing.media.images import MAX_BYTES as PHOTO_BYTES
from kuajing.problems import problem
from kuajing.seller.documents import MAX_BYTES as DOCUMENT_BYTES

# room for the multipart envelope around the file (boundaries, the part's headers, the CSRF field)
_ENVELOPE = 64 * 1024
_LIMITS: tuple[tuple[re.Pattern[str], int, str, str], ...] = (
    (
        re.compile(r"/api/v1/products/[^/]+/images"),
        PHOTO_BYTES,
        "image_too_large",
        "a photo may be at most 10 MB",
    ),
    (
        re.compile(r"/seller/products/[^/]+/photos"),
        PHOTO_BYTES,
        "image_too_large",
        "a photo may be at most 10 MB",
    ),
    (
        re.compile(r"/api/v1/seller/documents|/seller/application/documents"),
        DOCUMENT_BYTES,
        "document_too_large",
        "a document may be at most 10 MB",
    ),
    (re.compile(r"/api/v1/seller/imports"), IMPORT_BYTES, "import_too_large", "a file may be at most 15 MB"),
    (re.compile(r"/seller/imports"), IMPORT_BYTES, "import_too_large", "a file may be at most 15 MB"),
)


class UploadLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            for path, limit, code, words in _LIMITS:
                if not path.fullmatch(scope["path"]):
                    continue
                length = dict(scope["headers"]).get(b"content-length", b"")
                if not length.isdigit():
                    refused = problem(
                        411, "length_required", "An upload must say its length (Content-Length)."
                    )
                elif int(length) > limit + _ENVELOPE:
                    refused = problem(413, code, f"The upload is {int(length) / 1_048_576:.1f} MB; {words}.")
                else:
                    break
                refused.headers["Connection"] = "close"
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)
