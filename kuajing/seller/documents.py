"""A seller's business document checked, as a pure function: what the bytes are (never what the
upload's name or Content-Type claims) and how large. PDF, PNG and JPEG are taken, up to MAX_BYTES."""

import hashlib
from dataclasses import dataclass
from pathlib import PurePath

from kuajing.errors import InvalidInput

MAX_BYTES = 10 * 1024 * 1024
# the bytes each format starts with -> (content type, extension)
_MAGIC = (
    (b"%PDF-", ("application/pdf", "pdf")),
    (b"\x89PNG\r\n\x1a\n", ("image/png", "png")),
    (b"\xff\xd8\xff", ("image/jpeg", "jpg")),
)


class UnsupportedDocument(InvalidInput):
    code = "unsupported_document"


class DocumentTooLarge(InvalidInput):
    code = "document_too_large"


@dataclass(frozen=True, slots=True)
class Checked:
    content_type: str
    extension: str
    digest: str  # 16 hex digits of the SHA-256: the same file, the same key
    filename: str  # the upload's name, as a name only (no folders), at most 200 characters


def check(data: bytes, filename: str) -> Checked:
    """The document's type and digest; UnsupportedDocument or DocumentTooLarge if refused."""
    if len(data) > MAX_BYTES:
        raise DocumentTooLarge(message=f"The file is {len(data) / 1_048_576:.1f} MB; at most 10 MB is taken.")
    if not data:
        raise UnsupportedDocument(message="The file is empty.")
    found = next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)
    if found is None:
        raise UnsupportedDocument(message="Documents must be PDF, PNG or JPEG files.")
    content_type, extension = found
    printable = "".join(char for char in filename if char.isprintable())
    name = PurePath(printable.replace("\\", "/")).name.strip(" .") or f"document.{extension}"
    return Checked(content_type, extension, hashlib.sha256(data).hexdigest()[:16], name[-200:])
