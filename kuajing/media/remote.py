"""Photos fetched from the web for an import, only from the hosts the operator allows
(KUAJING_IMPORT_IMAGE_HOSTS, none by default): no redirect followed, at most 10 MB read."""

from urllib.parse import urlsplit

import httpx

from kuajing.media.images import MAX_BYTES


class PhotoNotFetched(Exception):
    """Why a photo's URL gave no photo, in words for the seller."""


def allowed(url: str, hosts: frozenset[str]) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and (parts.hostname or "").lower() in hosts


async def fetch(url: str, hosts: frozenset[str], *, timeout: float = 10.0) -> bytes:
    """The bytes at `url`, or PhotoNotFetched saying why."""
    if not allowed(url, hosts):
        raise PhotoNotFetched(f"{url} is not on a host the operator allows photos from.")
    try:
        async with (
            httpx.AsyncClient(follow_redirects=False, timeout=timeout) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise PhotoNotFetched(f"{url} answered {response.status_code}.")
            data = b""
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > MAX_BYTES:
                    raise PhotoNotFetched(f"{url} is larger than 10 MB.")
            return data
    except httpx.HTTPError as exc:
        raise PhotoNotFetched(f"{url} could not be fetched: {exc.__class__.__name__}.") from exc
