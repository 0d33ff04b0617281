"""A seller's photo checked and turned into the sizes the pages show, as a pure function.

What the upload claims to be (its name, its Content-Type) is never read: Pillow identifies the
bytes. Only JPEG, PNG and WebP are taken; anything else, or bytes Pillow cannot decode to the
end, is `unsupported_image`. A file over MAX_BYTES, or a picture over MAX_PIXELS (a small file
can decode to gigabytes), is `image_too_large`; one under MIN_SIDE on a side is `image_too_small`.

The photo is turned upright by its EXIF orientation, then drawn at each of WIDTHS narrower than
itself and at its own width up to the largest of WIDTHS (a 300-pixel photo: 240 and 300), as WebP
and as JPEG; never enlarged. The renditions carry no
metadata at all (no EXIF, so no GPS position or camera serial; no ICC profile; no PNG text): the
original is never stored. Transparent parts are kept in WebP and laid on white in JPEG.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageOps, UnidentifiedImageError

from kuajing.errors import InvalidInput

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel camera's full frame
MIN_SIDE = 100
MAX_ASPECT = 8  # a side more than eight times the other is a banner or a strip, not a product photo
WIDTHS = (240, 480, 960)
# MPO: the multi-picture JPEG many phones save (a depth map or a gain map after the photo)
_FORMATS = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}

Format = Literal["webp", "jpg"]
CONTENT_TYPES: dict[str, str] = {"webp": "image/webp", "jpg": "image/jpeg"}


class UnsupportedImage(InvalidInput):
    code = "unsupported_image"


class ImageTooLarge(InvalidInput):
    code = "image_too_large"


class ImageTooSmall(InvalidInput):
    code = "image_too_small"


@dataclass(frozen=True, slots=True)
class Rendition:
    width: int
    height: int
    format: Format
    data: bytes


@dataclass(frozen=True, slots=True)
class Processed:
    digest: str  # 16 hex digits of the upload's SHA-256: the same photo, the same digest
    source_type: str  # what the bytes are: image/jpeg, image/png or image/webp
    width: int  # of the largest rendition
    height: int
    renditions: tuple[Rendition, ...]

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(sorted({r.width for r in self.renditions}))


def _opened(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        # Pillow warns (and past twice its limit, refuses) on huge pictures: ours is stricter
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data))


def process(data: bytes) -> Processed:
    """The checked photo's renditions; UnsupportedImage, ImageTooLarge or ImageTooSmall if not."""
    if len(data) > MAX_BYTES:
        raise ImageTooLarge(message=f"The photo is {len(data) / 1_048_576:.1f} MB; at most 10 MB is taken.")
    try:
        image = _opened(data)
        kind = image.format or ""
        if kind not in _FORMATS:
            raise UnsupportedImage(
                message=f"This file is {kind or 'not an image'}; photos must be JPEG, PNG or WebP."
            )
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ImageTooLarge(
                message=f"The photo is {width}×{height} pixels; at most {MAX_PIXELS // 1_000_000} megapixels."
            )
        if kind in ("JPEG", "MPO"):
            # decode at no more than twice the largest width drawn: less memory for a big photo
            image.draft("RGB", (WIDTHS[-1] * 2, max(1, height * WIDTHS[-1] * 2 // width)))
        image.load()  # decodes it all: a truncated or corrupt file fails here
    except Image.DecompressionBombError as exc:  # Pillow's own limit, far above ours
        raise ImageTooLarge(
            message=f"The photo is too large to open; at most {MAX_PIXELS // 1_000_000} megapixels."
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedImage(
            message="This file is not a photo that can be read; photos must be JPEG, PNG or WebP."
        ) from exc
    if min(width, height) < MIN_SIDE:
        raise ImageTooSmall(
            message=f"The photo is {width}×{height} pixels; each side needs at least {MIN_SIDE}."
        )
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise UnsupportedImage(
            message=f"The photo is {width}×{height} pixels: a side more than {MAX_ASPECT} times the other "
            "is not a product photo. Crop it first."
        )
    try:
        upright = ImageOps.exif_transpose(image)
    except (SyntaxError, ValueError, OSError, KeyError):  # an EXIF block that does not parse
        upright = image
    renditions: list[Rendition] = []
    try:
        for target in sorted({w for w in WIDTHS if w < upright.width} | {min(upright.width, WIDTHS[-1])}):
            renditions += _drawn(upright, target)
    except (OSError, ValueError) as exc:  # the encoders' refusals
        raise UnsupportedImage(
            message="This photo could not be converted; save it again as JPEG or PNG."
        ) from exc
    largest = max(renditions, key=lambda r: r.width)
    return Processed(
        digest=hashlib.sha256(data).hexdigest()[:16],
        source_type=_FORMATS[kind],
        width=largest.width,
        height=largest.height,
        renditions=tuple(renditions),
    )


def _drawn(image: Image.Image, width: int) -> list[Rendition]:
    height = max(1, round(image.height * width / image.width))
    transparent = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    color = image.convert("RGBA" if transparent else "RGB")
    if color.size != (width, height):
        color = color.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    color.info = {}  # nothing of the upload's metadata travels on
    webp = io.BytesIO()
    color.save(webp, "WEBP", quality=80, method=4)
    if transparent:
        flat = Image.new("RGB", color.size, (255, 255, 255))
        flat.paste(color, mask=color.getchannel("A"))
    else:
        flat = color
    jpeg = io.BytesIO()
    flat.save(jpeg, "JPEG", quality=82, optimize=True, progressive=True)
    return [
        Rendition(width, height, "webp", webp.getvalue()),
        Rendition(width, height, "jpg", jpeg.getvalue()),
    ]
