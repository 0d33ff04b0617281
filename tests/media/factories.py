"""Photos made in memory with Pillow, as a seller's camera or phone would save them."""

import io

from PIL import Image


def photo(
    width: int = 1200,
    height: int = 800,
    *,
    format: str = "JPEG",
    color: tuple[int, ...] = (150, 30, 60),
    mode: str = "RGB",
    exif: dict[int, object] | None = None,
) -> bytes:
    """A plain picture; `exif` tags (e.g. {0x0112: 6} for orientation, GPS under 0x8825)."""
    image = Image.new(mode, (width, height), color)
    # a second colour in the top-left corner, to see which way up the renditions are
    corner = (20, 200, 20, 255)[: len(image.getbands())]
    image.paste(corner, (0, 0, width // 4, height // 4))
    out = io.BytesIO()
    options: dict[str, object] = {}
    if exif:
        tags = Image.Exif()
        for tag, value in exif.items():
            tags[tag] = value
        options["exif"] = tags.tobytes()
    image.save(out, format, **options)
    return out.getvalue()
