"""Where the photos' renditions are kept: an interface, and local disk under the data directory.

A key names one rendition: `products/<product id>/<digest>-<width>.<webp|jpg>`. The same key
always holds the same bytes (the digest is the upload's), so what is served under it can be
cached for a year (`immutable`). Writing is atomic (a temporary file renamed over the key): a
reader never sees half a photo.
"""

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

KEY = re.compile(r"products/[1-9][0-9]{0,18}/[0-9a-f]{16}-[1-9][0-9]{1,3}\.(?:webp|jpg)")


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def delete(self, key: str) -> None:
        """Remove `key`; nothing if it is not there."""
        ...

    def url(self, key: str) -> str:
        """Where a browser fetches `key`."""
        ...


def rendition_key(product_id: int, digest: str, width: int, extension: str) -> str:
    return f"products/{product_id}/{digest}-{width}.{extension}"


class LocalStorage:
    """Files under `root` (created 0700), served by the app at `/media/<key>`."""

    def __init__(self, root: Path, *, base_url: str = "/media") -> None:
        self.root = root
        self._base_url = base_url.rstrip("/")

    def path(self, key: str) -> Path | None:
        """The file of a well-formed key (None for anything else: no path escapes `root`)."""
        return self.root / key if KEY.fullmatch(key) else None

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, key, data)

    def _write(self, key: str, data: bytes) -> None:
        path = self.path(key)
        if path is None:
            raise ValueError(f"not a media key: {key!r}")
        for folder in (self.root, self.root / "products", path.parent):  # each made 0700
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def delete(self, key: str) -> None:
        path = self.path(key)
        if path is not None:
            await asyncio.to_thread(path.unlink, missing_ok=True)

    def url(self, key: str) -> str:
        return f"{self._base_url}/{key}"
