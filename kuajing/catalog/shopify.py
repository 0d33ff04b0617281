"""A seller's product CSV read into items to list, as a pure function: Shopify's product export in
its classic headers (Handle, Body (HTML), Variant SKU, Variant Price, Variant Inventory Qty,
Variant Grams, Image Src…) or its current ones (URL handle, Description, SKU, Price, Inventory
quantity, Weight value (grams), Product image URL…), plus kuajing's own columns a seller may add:
`HS Code`, `Title (zh)`, `Body (zh)` and `Category`.

Columns are found by name (any case, any order, unknown ones ignored). Rows are grouped by their
handle as Shopify writes them: the first row of a handle carries the product (title,
description, option names); each row with a SKU is one variant; a row with only an image adds
the image. A handle whose only variant is "Default Title" is a product without options; any
other is a product with options and its variants. HTML descriptions are sanitised to text with
nh3: no tag, no script, no style survives. The text may be UTF-8 (with or without a BOM) or
GBK; at most MAX_ROWS rows.
"""

import codecs
import csv
import html
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import nh3

from kuajing.errors import InvalidInput

MAX_ROWS = 5_000
MAX_BYTES = 15 * 1024 * 1024  # Shopify's own limit on a product CSV

# our name -> the headers that carry it, classic and current Shopify, then kuajing's
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "handle": ("handle", "url handle"),
    "title": ("title",),
    "body": ("body (html)", "description"),
    "vendor": ("vendor",),
    "type": ("type",),
    "tags": ("tags",),
    "option1_name": ("option1 name",),
    "option1_value": ("option1 value",),
    "option2_name": ("option2 name",),
    "option2_value": ("option2 value",),
    "option3_name": ("option3 name",),
    "option3_value": ("option3 value",),
    "sku": ("variant sku", "sku"),
    "price": ("variant price", "price"),
    "quantity": ("variant inventory qty", "inventory quantity"),
    "grams": ("variant grams", "weight value (grams)"),
    "image": ("image src", "product image url"),
    "image_position": ("image position",),
    "hs_code": ("hs code",),
    "title_zh": ("title (zh)",),
    "body_zh": ("body (zh)",),
    "category": ("category",),
}
_TEXT_BLOCKS = re.compile(r"<\s*/?\s*(br|p|div|li|ul|ol|h[1-6]|tr|table|section)\b[^>]*>", re.IGNORECASE)


class UnreadableImport(InvalidInput):
    code = "unreadable_import"


class ImportTooLarge(InvalidInput):
    code = "import_too_large"


@dataclass(frozen=True, slots=True)
class ImportVariant:
    """One variant row of the file."""

    line: int
    sku: str
    values: tuple[str, ...]  # its value of each of the product's options; () without options
    price: str  # as written: checked when the item is checked
    quantity: str
    grams: str


@dataclass(frozen=True, slots=True)
class ImportItem:
    """One product to list: its handle's product fields, its options and its variant rows (a
    product without options has one, with no values)."""

    line: int  # its first line
    handle: str
    title: str
    title_zh: str
    body: str  # plain text
    body_zh: str
    category: str
    hs_code: str
    option_names: tuple[str, ...]
    variants: tuple[ImportVariant, ...]
    images: tuple[str, ...] = field(default=())

    @property
    def sku(self) -> str:
        """What the product is listed and found again under: its only variant's SKU, or for a
        product with options its handle."""
        return self.handle if self.option_names else self.variants[0].sku


@dataclass(frozen=True, slots=True)
class ImportFile:
    format: str  # "shopify (classic headers)", "shopify", with " + kuajing columns"
    items: tuple[ImportItem, ...]
    rows: int


def text_of(body: str) -> str:
    """An HTML description as the plain text buyers read: blocks become lines, every tag goes
    (scripts and styles with their content), entities are decoded."""
    marked = _TEXT_BLOCKS.sub("\n", body)
    cleaned = html.unescape(nh3.clean(marked, tags=set(), attributes={}))
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in cleaned.splitlines()]
    return "\n".join(line for line in lines if line)


_NOT_UTF8 = (
    "The file is not saved as UTF-8 (nor as Chinese GBK): save it from your spreadsheet as "
    "'CSV UTF-8' and send it again."
)


def _gbk_like(data: bytes) -> bool:
    """Whether every non-ASCII byte pair is a GB2312 character (lead and trail bytes both from
    0xA1 up). A Western file (Windows-1252: "Château") decodes as GB18030 too, into nonsense, and
    fails this: its accented letters stand between ASCII bytes."""
    index = 0
    while index < len(data):
        if data[index] < 0x80:
            index += 1
        elif 0xA1 <= data[index] <= 0xFE and index + 1 < len(data) and 0xA1 <= data[index + 1] <= 0xFE:
            index += 2
        else:
            return False
    return True


def decoded(data: bytes) -> str:
    """The file's text: UTF-8 (a BOM or not), or the GBK a Chinese spreadsheet saves."""
    data = data.removeprefix(codecs.BOM_UTF8)
    if b"\x00" in data:
        raise UnreadableImport(message="The file is not a CSV: it holds binary data.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if not _gbk_like(data):
        raise UnreadableImport(message=_NOT_UTF8)
    return data.decode("gb18030")


def read_import(data: bytes) -> ImportFile:
    """The file's items; UnreadableImport or ImportTooLarge, saying why, when it cannot be read."""
    if len(data) > MAX_BYTES:
        raise ImportTooLarge(message=f"The file is {len(data) / 1_048_576:.1f} MB; at most 15 MB is taken.")
    reader = csv.reader(io.StringIO(decoded(data), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise UnreadableImport(message="The file is empty.")
        index: dict[str, int] = {}
        for position, name in enumerate(header):
            for ours, names in COLUMNS.items():
                if name.strip().lower() in names and ours not in index:
                    index[ours] = position
        if "title" not in index or "sku" not in index:
            raise UnreadableImport(
                message="The first line is not the header of a Shopify product CSV: it needs Title and "
                "Variant SKU (or SKU) columns."
            )
        rows: list[tuple[int, list[str]]] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportTooLarge(
                    message=f"The file has more than {MAX_ROWS:,} rows; split it and import each part."
                )
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise UnreadableImport(message=f"Line {reader.line_num}: {exc}") from exc

    def cell(cells: list[str], name: str) -> str:
        position = index.get(name)
        return cells[position].strip() if position is not None and position < len(cells) else ""

    products: dict[str, dict[str, str]] = {}  # by handle: the product row's fields
    rows_of: dict[str, list[ImportVariant]] = {}
    images: dict[str, list[tuple[int, str]]] = {}
    first_line: dict[str, int] = {}
    product: dict[str, str] = {}
    key = ""  # the product the row belongs to: its handle, or its first line without one
    for line, cells in rows:
        handle = cell(cells, "handle")
        if not key or cell(cells, "title") or handle != product.get("handle"):
            product = {name: cell(cells, name) for name in COLUMNS} | {"handle": handle}
            key = handle or f"line {line}"
            if key not in products:
                # cleaned once a product, not once a variant
                product["body"], product["body_zh"] = text_of(product["body"]), text_of(product["body_zh"])
                products[key], first_line[key] = product, line
        image = cell(cells, "image")
        if image:
            written = cell(cells, "image_position")
            order = int(written) if re.fullmatch(r"[0-9]{1,4}", written) else 1_000 + line
            images.setdefault(key, []).append((order, image))
        if not cell(cells, "sku") and not cell(cells, "price") and not cell(cells, "option1_value"):
            continue  # an image row
        # each option's value in its place, up to the last one given ("Default Title": none)
        chosen = [cell(cells, f"option{n}_value") for n in (1, 2, 3)]
        given = [n for n, value in enumerate(chosen) if value]
        values = () if chosen[0] == "Default Title" or not given else tuple(chosen[: given[-1] + 1])
        rows_of.setdefault(key, []).append(
            ImportVariant(
                line=line,
                sku=cell(cells, "sku"),
                values=values,
                price=cell(cells, "price"),
                quantity=cell(cells, "quantity"),
                grams=cell(cells, "grams"),
            )
        )
    items: list[ImportItem] = []
    for key, variants in rows_of.items():
        fields = products[key]
        width = max(len(variant.values) for variant in variants)
        names = tuple(fields.get(f"option{n}_name", "") or f"Option {n}" for n in range(1, width + 1))
        items.append(
            ImportItem(
                line=first_line[key],
                handle=fields["handle"],
                title=fields.get("title", ""),
                title_zh=fields.get("title_zh", ""),
                body=fields.get("body", ""),
                body_zh=fields.get("body_zh", ""),
                category=fields.get("category", "").lower(),
                hs_code=fields.get("hs_code", ""),
                option_names=names,
                variants=tuple(variants),
                images=tuple(url for _, url in sorted(images.get(key, []))),
            )
        )
    classic = "variant sku" in {name.strip().lower() for name in header}
    extras = {"hs_code", "title_zh", "body_zh", "category"} & index.keys()
    kind = "shopify (classic headers)" if classic else "shopify"
    return ImportFile(kind + (" + kuajing columns" if extras else ""), tuple(items), len(rows))


# Never Decimal() on free text first: it reads "1e5000000" and int() of that never ends.
_DOLLARS = re.compile(r"\$?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,9})(?:\.[0-9]{1,2})?")
_WHOLE = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,9})(?:\.0+)?")


def cents(text: str) -> int | None:
    """Dollars as Shopify writes them ("30", "30.00", "1,299.50") in cents; None if not that."""
    if not _DOLLARS.fullmatch(text):
        return None
    return int(Decimal(text.replace(",", "").removeprefix("$")) * 100)


def whole(text: str) -> int | None:
    """A whole number ("12", "1,200", "12.0" as spreadsheets write it); None if not one."""
    if not _WHOLE.fullmatch(text):
        return None
    return int(Decimal(text.replace(",", "")))
