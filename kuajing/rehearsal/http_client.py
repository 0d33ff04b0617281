"""A minimal HTTP/1.1 client for the rehearsal's load generator: one keep-alive connection per
worker, one request at a time, no pooling, no redirects, no TLS.

Why not aiohttp or httpx: the generator shares the cores with the server it measures, and
aiohttp spent 3-4 times this client's CPU per request (figures in `rehearsal/load.py`); httpx's
pool was slower still. A request here costs one write and one parse of a status line and a
Content-Length.

It understands exactly what kuajing's server (uvicorn) sends: a status line, headers, and a body
framed by Content-Length or chunked transfer encoding. Anything else is a ProtocolError.
"""

import asyncio
from urllib.parse import urlsplit


class ProtocolError(ConnectionError):
    """The server's answer is not HTTP/1.1 as this client reads it."""


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self.lost: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is a Transport by duck type

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is not None and not self.waiter.done():
            try:
                answer = _parse(self.buffer)
            except ProtocolError as exc:
                self.waiter.set_exception(exc)
                return
            if answer is not None:
                self.waiter.set_result(answer)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = exc or ConnectionResetError("the server closed the connection")
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(self.lost)


def _parse(buffer: bytearray) -> tuple[int, bytes, bool] | None:
    """(status, body, keep_alive) once a whole response is in the buffer (and remove it), else None."""
    try:
        return _parse_framed(buffer)
    except ValueError as exc:  # a status, length or chunk size that is not a number
        raise ProtocolError(f"unreadable HTTP framing: {exc}") from exc


def _parse_framed(buffer: bytearray) -> tuple[int, bytes, bool] | None:
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).lower()
    if not head.startswith(b"http/1.1 ") or len(head) < 12:
        raise ProtocolError(f"not an HTTP/1.1 status line: {head[:40]!r}")
    status = int(head[9:12])
    keep_alive = b"\r\nconnection: close" not in head
    start = end + 4
    at = head.find(b"\r\ncontent-length:")
    if at >= 0:
        line_end = head.find(b"\r\n", at + 2)
        length = int(head[at + 17 : line_end if line_end >= 0 else len(head)])
        if len(buffer) < start + length:
            return None
        body = bytes(buffer[start : start + length])
        del buffer[: start + length]
        return status, body, keep_alive
    if b"\r\ntransfer-encoding: chunked" in head:
        chunks, position = [], start
        while True:
            size_end = buffer.find(b"\r\n", position)
            if size_end < 0:
                return None
            size = int(bytes(buffer[position:size_end]).split(b";")[0], 16)
            if len(buffer) < size_end + 2 + size + 2:
                return None
            chunks.append(bytes(buffer[size_end + 2 : size_end + 2 + size]))
            position = size_end + 2 + size + 2
            if size == 0:
                del buffer[:position]
                return status, b"".join(chunks), keep_alive
    if status in (204, 304):
        del buffer[:start]
        return status, b"", keep_alive
    raise ProtocolError("a response without Content-Length or chunked encoding")


def _expire(waiter: asyncio.Future[tuple[int, bytes, bool]], timeout: float) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError(f"no answer within {timeout:g} s"))


class Connection:
    """One keep-alive connection to `url`'s host, reopened on the next request after it drops."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"the rehearsal speaks plain http:// only, not {url!r}")
        self._host = parts.hostname
        self._port = parts.port or 80
        self._host_header = parts.netloc.encode()
        self._protocol: _Protocol | None = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        timeout: float = 30.0,
    ) -> tuple[int, bytes]:
        """(status, body). Raises OSError (refused, reset, ProtocolError) or TimeoutError, and
        then drops the connection: the next request opens a fresh one."""
        loop = asyncio.get_running_loop()
        protocol = self._protocol
        if protocol is None or protocol.lost is not None:
            _transport, opened = await asyncio.wait_for(
                loop.create_connection(_Protocol, self._host, self._port), timeout
            )
            self._protocol = protocol = opened
        lines = [f"{method} {path} HTTP/1.1\r\n".encode(), b"Host: " + self._host_header + b"\r\n"]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}\r\n".encode())
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}\r\n".encode())
        lines.append(b"\r\n")
        lines.append(body)
        waiter = protocol.waiter = loop.create_future()
        # A timer, not asyncio.wait_for: wait_for wraps each request in a task, which costs more
        # than the rest of this client's work per request.
        timer = loop.call_later(timeout, _expire, waiter, timeout)
        assert protocol.transport is not None
        protocol.transport.write(b"".join(lines))
        try:
            status, answer, keep_alive = await waiter
        except BaseException:
            self.close()
            raise
        finally:
            timer.cancel()
            protocol.waiter = None
        if not keep_alive:
            self.close()
        return status, answer

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None
