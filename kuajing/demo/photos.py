"""The demo products' photos, drawn here with Pillow: no stock photo of unclear licence ships.

Each is a flat illustration of what the product is (a bottle in the wine's colour with its
vintage on the label, a box of apples or oranges, a bag of nuts, a shirt or a pair of jeans,
cans of beer, a jar, a bottle of capsules), drawn the same way for the same product every time
(its colours come from its SKU and title).
"""

import hashlib
import io
from collections.abc import Callable
from typing import Any

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 900
Color = tuple[int, int, int]

_WINE: list[tuple[tuple[str, ...], Color]] = [
    (("rosé", "rose"), (226, 120, 140)),
    (("blanc de blancs", "brut", "sparkling"), (236, 214, 140)),
    (("chardonnay", "sauvignon blanc", "riesling", "pinot gris"), (232, 210, 120)),
    (("pinot noir",), (150, 30, 50)),
]
_FRUIT: list[tuple[tuple[str, ...], Color]] = [
    (("orange", "cara cara", "valencia"), (245, 140, 30)),
    (("mandarin", "murcott"), (250, 160, 40)),
    (("rainier",), (240, 190, 90)),
    (("cherr",), (130, 10, 30)),
    (("black grape", "autumn royal"), (70, 40, 80)),
    (("grape",), (170, 40, 70)),
    (("gala", "empire", "mcintosh", "jonagold", "snapdragon", "northern spy"), (200, 40, 40)),
    (("cosmic",), (150, 20, 40)),
    (("honeycrisp",), (215, 70, 50)),
]


def _pick(title: str, table: list[tuple[tuple[str, ...], Color]], default: Color) -> Color:
    lowered = title.lower()
    return next((color for words, color in table if any(word in lowered for word in words)), default)


def _shade(color: Color, by: float) -> Color:
    return tuple(max(0, min(255, int(c * by))) for c in color)  # type: ignore[return-value]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _background(draw: ImageDraw.ImageDraw, seed: bytes) -> None:
    top = (246 - seed[0] % 20, 240 - seed[1] % 18, 232 - seed[2] % 16)
    for y in range(HEIGHT):
        mix = y / HEIGHT
        draw.line([(0, y), (WIDTH, y)], fill=tuple(int(c * (1 - 0.12 * mix)) for c in top))
    draw.ellipse([260, 760, 940, 860], fill=(0, 0, 0, 40))


def _bottle(draw: ImageDraw.ImageDraw, title: str, seed: bytes) -> None:
    wine = _pick(title, _WINE, (110, 20, 35))
    glass = (40, 60, 45) if wine[0] < 200 else (200, 215, 190)
    draw.rounded_rectangle([500, 330, 700, 820], radius=40, fill=glass)
    draw.rounded_rectangle([560, 120, 640, 360], radius=18, fill=glass)
    foil = (200, 170, 60) if "sparkling" in title.lower() else (120, 30, 40)
    draw.rectangle([552, 100, 648, 170], fill=foil)
    draw.rectangle([510, 470, 690, 520], fill=_shade(wine, 1.1))
    draw.rectangle([520, 540, 680, 720], fill=(250, 246, 236), outline=_shade(wine, 0.8), width=4)
    years = [word.strip(",") for word in title.split() if word.strip(",").isdigit()]
    vintage = next((year for year in years if len(year) == 4), "")
    draw.text((600, 600), vintage, fill=_shade(wine, 0.7), font=_font(34), anchor="mm")
    draw.text((600, 660), title.split()[0].upper()[:12], fill=(60, 50, 40), font=_font(22), anchor="mm")


def _box_of(draw: ImageDraw.ImageDraw, title: str, seed: bytes) -> None:
    fruit = _pick(title, _FRUIT, (200, 50, 45))
    small = any(word in title.lower() for word in ("cherr", "grape"))
    draw.polygon([(300, 520), (900, 520), (860, 800), (340, 800)], fill=(196, 160, 110))
    radius = 34 if small else 78
    step = radius * 2 - 6
    for row in range(3 if small else 2):
        y = 500 - row * (step - 20)
        for column in range(int(560 // step)):
            x = 330 + radius + column * step + (row % 2) * radius // 2
            if x + radius > 880:
                continue
            tint = _shade(fruit, 0.85 + ((seed[(row * 7 + column) % 32]) % 30) / 100)
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=tint)
            draw.ellipse([x - radius // 3, y - radius // 2, x, y - radius // 6], fill=_shade(tint, 1.35))
            if not small and "orange" not in title.lower() and "mandarin" not in title.lower():
                draw.line([(x, y - radius), (x + 6, y - radius - 22)], fill=(90, 60, 30), width=6)
    draw.rectangle([300, 600, 900, 650], fill=(230, 210, 170))


def _bag(draw: ImageDraw.ImageDraw, title: str, seed: bytes) -> None:
    kraft = (180 + seed[3] % 30, 140 + seed[4] % 20, 90)
    draw.rounded_rectangle([420, 200, 780, 820], radius=30, fill=kraft)
    draw.rectangle([420, 200, 780, 250], fill=_shade(kraft, 0.8))
    draw.rounded_rectangle([470, 330, 730, 600], radius=20, fill=(250, 244, 228))
    nut = (150, 95, 50) if "pecan" in title.lower() else (200, 160, 100)
    if "pistachio" in title.lower():
        nut = (150, 170, 80)
    for index in range(9):
        x, y = 520 + (index % 3) * 80, 380 + (index // 3) * 70
        draw.ellipse([x - 28, y - 18, x + 28, y + 18], fill=_shade(nut, 0.9 + (seed[index] % 20) / 100))


def _garment(draw: ImageDraw.ImageDraw, title: str, seed: bytes) -> None:
    lowered = title.lower()
    cloth: Color = (
        (40, 60, 110)
        if "denim" in lowered or "jean" in lowered
        else (
            60 + seed[5] % 150,
            60 + seed[6] % 150,
            60 + seed[7] % 150,
        )
    )
    if any(word in lowered for word in ("jean", "trouser", "chino")):
        legs = [(470, 160), (730, 160), (760, 820), (630, 820), (600, 360), (570, 820), (440, 820)]
        draw.polygon(legs, fill=cloth)
        draw.rectangle([470, 160, 730, 200], fill=_shade(cloth, 0.8))
        return
    draw.polygon(
        [(420, 220), (520, 180), (680, 180), (780, 220), (880, 380), (800, 430), (760, 370), (760, 800),
         (440, 800), (440, 370), (400, 430), (320, 380)],
        fill=cloth,
    )  # fmt: skip
    draw.ellipse([540, 160, 660, 230], fill=_shade(cloth, 0.75))
    if "pocket" in lowered:
        draw.rectangle([620, 330, 700, 420], outline=_shade(cloth, 0.7), width=5)


def _cans(draw: ImageDraw.ImageDraw, title: str, seed: bytes) -> None:
    body: Color = (20 + seed[8] % 120, 90 + seed[9] % 120, 60 + seed[10] % 150)
    bottles = "bottle" in title.lower()
    for index in range(4):
        x = 330 + index * 140
        if bottles:
            draw.rounded_rectangle([x, 380, x + 110, 800], radius=22, fill=(50, 30, 20))
            draw.rectangle([x + 35, 250, x + 75, 400], fill=(50, 30, 20))
            draw.rectangle([x + 10, 520, x + 100, 650], fill=body)
        else:
            draw.rounded_rectangle([x, 360, x + 120, 800], radius=16, fill=body)
            draw.rectangle([x + 8, 350, x + 112, 372], fill=(200, 200, 205))
            draw.rectangle([x, 520, x + 120, 600], fill=_shade(body, 1.4))


def _jar(draw: ImageDraw.ImageDraw, title: str, seed: bytes) -> None:
    tint: Color = (230, 200 + seed[11] % 40, 170 + seed[12] % 60)
    if "lip" in title.lower():
        for index in range(3):
            x = 420 + index * 130
            draw.rounded_rectangle([x, 330, x + 90, 800], radius=20, fill=_shade(tint, 0.9 + index * 0.05))
            draw.rounded_rectangle([x, 330, x + 90, 420], radius=20, fill=(240, 240, 236))
        return
    draw.rounded_rectangle([420, 380, 780, 800], radius=40, fill=tint)
    draw.rounded_rectangle([440, 300, 760, 400], radius=20, fill=(245, 245, 240))
    draw.rectangle([460, 500, 740, 680], fill=(252, 250, 244))


def _capsules(draw: ImageDraw.ImageDraw, title: str, seed: bytes) -> None:
    label: Color = (60 + seed[13] % 150, 120 + seed[14] % 100, 80 + seed[15] % 120)
    draw.rounded_rectangle([430, 300, 770, 800], radius=36, fill=(245, 245, 242))
    draw.rounded_rectangle([470, 220, 730, 320], radius=14, fill=_shade(label, 0.7))
    draw.rectangle([430, 430, 770, 660], fill=label)
    for index in range(3):
        x = 820 + index * 40
        top = 700 - index * 30
        draw.rounded_rectangle([x, top, x + 30, top + 70], radius=15, fill=_shade(label, 1.2))


_DRAWN: dict[str, Callable[[ImageDraw.ImageDraw, str, bytes], None]] = {
    "wine": _bottle,
    "fruit": _box_of,
    "nuts": _bag,
    "garments": _garment,
    "beer": _cans,
    "cosmetics": _jar,
    "supplements": _capsules,
}


def draw_product(item: dict[str, Any]) -> bytes:
    """A PNG of the demo product `item` (its sku, category and English title)."""
    title: str = item["title"]["en"]
    seed = hashlib.sha256(f"{item['sku']}|{title}".encode()).digest()
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image, "RGBA")
    _background(draw, seed)
    _DRAWN.get(item["category"], _jar)(draw, title, seed)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False, compress_level=1)
    return out.getvalue()
