"""A seller's photo checked by its bytes and drawn at the pages' sizes, with nothing of its
metadata kept: each refusal says why in words and names its code."""

import io
import zlib

import pytest
from PIL import Image

from kuajing.media.images import ImageTooLarge, ImageTooSmall, UnsupportedImage, process
from tests.media.factories import photo

GPS = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_jpeg_is_drawn_at_three_widths_as_webp_and_jpeg():
    processed = process(photo(1200, 800))
    assert (processed.source_type, processed.width, processed.height) == ("image/jpeg", 960, 640)
    assert processed.widths == (240, 480, 960)
    assert [(r.width, r.height, r.format) for r in processed.renditions] == [
        (240, 160, "webp"),
        (240, 160, "jpg"),
        (480, 320, "webp"),
        (480, 320, "jpg"),
        (960, 640, "webp"),
        (960, 640, "jpg"),
    ]
    for rendition in processed.renditions:
        opened = _open(rendition.data)
        assert opened.format == {"webp": "WEBP", "jpg": "JPEG"}[rendition.format]
        assert opened.size == (rendition.width, rendition.height)
    assert len(processed.digest) == 16
    assert process(photo(1200, 800)).digest == processed.digest  # the same photo, the same digest


def test_a_narrow_photo_is_never_enlarged():
    assert process(photo(300, 450, format="PNG")).widths == (240, 300)
    assert process(photo(100, 100, format="WEBP")).widths == (100,)


def test_metadata_is_stripped_and_the_photo_turned_upright():
    # a phone photo held upright: stored 1200x800 with orientation 6 (turn 90° clockwise to view)
    data = photo(1200, 800, exif={ORIENTATION: 6, MAKE: "PhoneCo", GPS: {1: "N", 2: (39.0, 54.0, 27.0)}})
    assert b"PhoneCo" in data

    processed = process(data)

    assert (processed.width, processed.height) == (800, 1200)
    assert processed.widths == (240, 480, 800)
    for rendition in processed.renditions:
        assert b"PhoneCo" not in rendition.data
        assert b"Exif" not in rendition.data
        opened = _open(rendition.data)
        assert dict(opened.getexif()) == {}
        assert "icc_profile" not in opened.info
    # the green corner, top-left when stored, is top-right once turned clockwise
    largest = _open(processed.renditions[-1].data).convert("RGB")
    red, green, _blue = largest.getpixel((largest.width - 5, 5))
    assert green > 150 and red < 80


def test_transparency_is_kept_in_webp_and_laid_on_white_in_jpeg():
    processed = process(photo(400, 400, format="PNG", mode="RGBA", color=(0, 0, 0, 0)))
    webp, jpg = processed.renditions[-2:]
    assert _open(webp.data).mode == "RGBA"
    assert _open(webp.data).getpixel((300, 300))[3] == 0
    assert _open(jpg.data).convert("RGB").getpixel((300, 300)) == pytest.approx((255, 255, 255), abs=3)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size and holds one row of pixels: small on disk, huge decoded."""
    signature = b"\x89PNG\r\n\x1a\n"

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    rows = zlib.compress(b"\x00" * (1 + width * 3))
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("data", "refusal", "words"),
    [
        (b"this is a text file renamed wine.jpg\n", UnsupportedImage, "not a photo that can be read"),
        (photo(300, 300, format="GIF", mode="P", color=1), UnsupportedImage, "This file is GIF"),
        (photo(300, 300, format="BMP"), UnsupportedImage, "This file is BMP"),
        (photo(1200, 800)[:2000], UnsupportedImage, "not a photo that can be read"),
        (b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024), ImageTooLarge, "at most 10 MB"),
        (_png_header_only(8_000, 6_000), ImageTooLarge, "8000×6000 pixels; at most 40 megapixels"),
        (_png_header_only(20_000, 20_000), ImageTooLarge, "too large to open; at most 40 megapixels"),
        (photo(80, 400), ImageTooSmall, "80×400 pixels; each side needs at least 100"),
    ],
    ids=["text", "gif", "bmp", "truncated", "over-10-MB", "48-megapixels", "decompression-bomb", "too-small"],
)
def test_what_is_not_a_usable_photo_is_refused_saying_why(data, refusal, words):
    with pytest.raises(refusal) as refused:
        process(data)
    assert words in refused.value.message
    assert refused.value.status == 422


def test_a_strip_is_refused_and_a_photo_with_a_broken_exif_block_is_taken_as_it_is():
    with pytest.raises(UnsupportedImage, match="100×20000 pixels: a side more than 8 times the other"):
        process(photo(100, 20_000, format="PNG"))
    broken = io.BytesIO()
    Image.new("RGB", (600, 400), (10, 120, 200)).save(broken, "PNG", exif=b"Exif\x00\x00not a TIFF block")
    processed = process(broken.getvalue())
    assert (processed.width, processed.height) == (600, 400)  # not turned: the block says nothing


def test_a_phones_multi_picture_jpeg_is_a_jpeg():
    out = io.BytesIO()
    first, depth = Image.new("RGB", (800, 600), (200, 30, 30)), Image.new("RGB", (400, 300), (0, 0, 0))
    first.save(out, "MPO", save_all=True, append_images=[depth])
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"
    processed = process(out.getvalue())
    assert (processed.source_type, processed.width, processed.height) == ("image/jpeg", 800, 600)
