"""Draw kuajing's favicon (kuajing/web/static/favicon.ico) with Pillow: the logo's arch, a bridge
between two shores, white on the brand's red. Run it again only to change the drawing.

Run:  .venv/bin/python scripts/draw_favicon.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "kuajing" / "web" / "static" / "favicon.ico"
RED, WHITE = (164, 22, 26, 255), (255, 255, 255, 255)


def draw(size: int = 256) -> Image.Image:
    """The logo at `size` px; 1 unit is size/32, as in the header's SVG (viewBox 0 0 32 32)."""
    unit = size / 32
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, size - 1, size - 1), radius=round(6 * unit), fill=RED)
    # the arch: the top half of an ellipse from (5, 22) to (27, 22), rising to y = 10
    pen.arc(
        (5 * unit, 10 * unit, 27 * unit, 34 * unit), start=180, end=360, fill=WHITE, width=round(3 * unit)
    )
    pen.line((4 * unit, 24 * unit, 28 * unit, 24 * unit), fill=WHITE, width=round(2.5 * unit))
    return image


def main() -> None:
    draw().save(OUT, format="ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
