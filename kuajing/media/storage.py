"""Where the photos' renditions are kept: an interface, local disk under the data directory (the
default), and an S3-compatible bucket (KUAJING_MEDIA_URL=s3://bucket/prefix).

A key names one rendition: `products/<product id>/<digest>-<width>.<webp|jpg>`. The same key
always holds the same bytes (the digest is the upload's), so what is served under it can be
cached for a year (`immutable`). Writing is atomic (a temporary file renamed over the key; an
object written whole by one PUT): a reader never sees half a photo.

A seller's business documents (kuajing.vetting) are kept beside them, under
`documents/<seller id>/<digest>.<pdf|png|jpg>`, and are private: the app's /media route never
serves them (it serves only photo keys), and a bucket must not make `documents/` public (only
`products/` is meant for a CDN); they are read back through `read` by the vetting endpoints,
which check who asks.
"""

import asyncio
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

KEY = re.compile(r"products/[1-9][0-9]{0,18}/[0-9a-f]{16}-[1-9][0-9]{1,3}\.(?:webp|jpg)")
DOCUMENT_KEY = re.compile(r"documents/[1-9][0-9]{0,18}/[0-9a-f]{16}\.(?:pdf|png|jpg)")
CACHE_FOREVER = "public, max-age=31536000, immutable"
PRIVATE = "private, no-store"
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")  # S3's rule for bucket names


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def delete(self, key: str) -> None:
        """Remove `key`; nothing if it is not there."""
        ...

    def url(self, key: str) -> str:
        """Where a browser fetches `key`."""
        ...

    async def read(self, key: str) -> bytes | None:
        """The bytes under `key`; None if it is not there."""
        ...


def rendition_key(product_id: int, digest: str, width: int, extension: str) -> str:
    return f"products/{product_id}/{digest}-{width}.{extension}"


def document_key(seller_id: int, digest: str, extension: str) -> str:
    return f"documents/{seller_id}/{digest}.{extension}"


def _known(key: str) -> bool:
    return bool(KEY.fullmatch(key) or DOCUMENT_KEY.fullmatch(key))


class LocalStorage:
    """Files under `root` (created 0700), served by the app at `/media/<key>`."""

    def __init__(self, root: Path, *, base_url: str = "/media") -> None:
        self.root = root
        self._base_url = base_url.rstrip("/")

    def path(self, key: str) -> Path | None:
        """The file of a well-formed photo key, as /media serves it (None for anything else: no
        path escapes `root`, and no private document is served)."""
        return self.root / key if KEY.fullmatch(key) else None

    def _file(self, key: str) -> Path | None:
        return self.root / key if _known(key) else None

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, key, data)

    async def read(self, key: str) -> bytes | None:
        path = self._file(key)
        if path is None or not path.is_file():
            return None
        return await asyncio.to_thread(path.read_bytes)

    def _write(self, key: str, data: bytes) -> None:
        path = self._file(key)
        if path is None:
            raise ValueError(f"not a media key: {key!r}")
        for folder in (self.root, path.parent.parent, path.parent):  # each made 0700
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
        path = self._file(key)
        if path is not None:
            await asyncio.to_thread(path.unlink, missing_ok=True)

    def url(self, key: str) -> str:
        return f"{self._base_url}/{key}"


class S3Storage:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2…) under `prefix`, written
    with their type and a year's Cache-Control; browsers fetch them from `public_url` (the
    bucket's root as a CDN in front of it serves it, or the bucket's own address) followed by
    the object's name, prefix included, never through the app. Credentials come as boto3 finds them (the
    AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY variables, a profile, an instance role). Each call
    runs in a thread: boto3 blocks, and its client is safe to share between threads."""

    def __init__(self, *, bucket: str, prefix: str, public_url: str, client: Any) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._public_url = public_url.rstrip("/")
        self._client = client

    def _object(self, key: str) -> str:
        if not _known(key):
            raise ValueError(f"not a media key: {key!r}")
        return self.prefix + key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        name = self._object(key)
        await asyncio.to_thread(
            self._client.put_object,
            Bucket=self.bucket,
            Key=name,
            Body=data,
            ContentType=content_type,
            CacheControl=CACHE_FOREVER if KEY.fullmatch(key) else PRIVATE,
        )

    async def read(self, key: str) -> bytes | None:
        name = self._object(key)

        def get() -> bytes | None:
            try:
                body: bytes = self._client.get_object(Bucket=self.bucket, Key=name)["Body"].read()
            except self._client.exceptions.NoSuchKey:
                return None
            return body

        return await asyncio.to_thread(get)

    async def delete(self, key: str) -> None:
        if _known(key):  # deleting what is not there is no error in S3 either
            await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=self.prefix + key)

    def url(self, key: str) -> str:
        return f"{self._public_url}/{self.prefix}{key}"


@dataclass(frozen=True, slots=True)
class BucketAddress:
    """KUAJING_MEDIA_URL read: `s3://bucket` or `s3://bucket/some/prefix`."""

    bucket: str
    prefix: str  # "" or ending in "/"

    @classmethod
    def parse(cls, url: str) -> "BucketAddress":
        parts = urlsplit(url)
        if parts.scheme != "s3" or not BUCKET.fullmatch(parts.netloc) or parts.query or parts.fragment:
            raise ValueError(
                f"KUAJING_MEDIA_URL must be s3://<bucket>[/<prefix>], a bucket named in lowercase letters, "
                f"digits, dots and dashes; not {url!r}"
            )
        prefix = parts.path.strip("/")
        return cls(parts.netloc, prefix + "/" if prefix else "")


def s3_storage(media_url: str, *, endpoint_url: str | None, region: str, public_url: str | None) -> S3Storage:
    """The bucket KUAJING_MEDIA_URL names, through boto3 (the `s3` extra). Without a public URL,
    the bucket is addressed path-style at the endpoint, or at AWS's own address for the region."""
    address = BucketAddress.parse(media_url)
    try:
        import boto3  # type: ignore[import-untyped]  # the s3 extra; only a bucket needs it
    except ImportError as exc:
        raise RuntimeError("KUAJING_MEDIA_URL names a bucket: install kuajing[s3] (boto3)") from exc
    client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
    if public_url is None:
        host = endpoint_url.rstrip("/") if endpoint_url else f"https://s3.{region}.amazonaws.com"
        public_url = f"{host}/{address.bucket}"
    return S3Storage(bucket=address.bucket, prefix=address.prefix, public_url=public_url, client=client)
