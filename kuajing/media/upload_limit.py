"""An upload that says it is larger than a photo may be is refused before its body is read:
413 image_too_large, from its Content-Length alone. (One that does not say is read up to the
limit and refused by the route.)"""

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from kuajing.media.images import MAX_BYTES
from kuajing.problems import problem

_UPLOAD = re.compile(r"/api/v1/products/[^/]+/images")
# room for the multipart envelope around the file (boundaries, headers of the part)
_ENVELOPE = 64 * 1024


class UploadLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and _UPLOAD.fullmatch(scope["path"]):
            length = dict(scope["headers"]).get(b"content-length", b"")
            if length.isdigit() and int(length) > MAX_BYTES + _ENVELOPE:
                refused = problem(
                    413,
                    "image_too_large",
                    f"The upload is {int(length) / 1_048_576:.1f} MB; a photo may be at most 10 MB.",
                )
                refused.headers["Connection"] = "close"
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)
