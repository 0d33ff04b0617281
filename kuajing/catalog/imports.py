"""Importing what sellers already keep: a Shopify product CSV (kuajing.catalog.shopify) checked
row by row, then listed, as a background job.

`start` reads the file at once (a file that is not a product CSV is refused there, nothing
kept) and keeps a job; `run` does the work, in the background: it checks every item (what it
would create or update, and every problem, blocking or not), and for a dry run stops there. An
import applies the items that passed, 100 to a transaction, the job's progress saved with each
chunk; a product is written whole or not at all, and importing the same file again updates the
products by their SKU instead of listing them twice (stock is set to the file's quantity).
"""

import asyncio
import csv
import io
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, get_args

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import repository, shopify, wording
from kuajing.catalog import service as catalog_service
from kuajing.catalog import variants as variant_rules
from kuajing.catalog.errors import InvalidVariants, ProductNotFound
from kuajing.catalog.listing_prices import listing_prices
from kuajing.catalog.schemas import SKU_PATTERN, Category, ProductIn
from kuajing.catalog.snapshots import Snapshots
from kuajing.compliance import category_rules
from kuajing.db import Database, savepoint
from kuajing.errors import KuajingError, NotFound
from kuajing.kit.money import Money
from kuajing.kit.spreadsheet import safe_cell
from kuajing.kit.time import utcnow
from kuajing.media import images, remote
from kuajing.media import service as media_service
from kuajing.media.errors import DuplicateImage
from kuajing.media.storage import Storage
from kuajing.models import CatalogImport, Product
from kuajing.seller import service as seller_service

log = logging.getLogger(__name__)
CHUNK = 100
CATEGORIES: tuple[str, ...] = get_args(Category)
# The category a HS code's heading implies, longest prefix first (a "Category" column wins).
CATEGORY_OF_HS = (
    ("2204", "wine"),
    ("2203", "beer"),
    ("0801", "nuts"),
    ("0802", "nuts"),
    ("08", "fruit"),
    ("61", "garments"),
    ("62", "garments"),
    ("3304", "cosmetics"),
    ("3305", "cosmetics"),
    ("3307", "cosmetics"),
    ("2106", "supplements"),
)


class ImportNotFound(NotFound):
    code = "import_not_found"


class ImportNotReady(KuajingError):
    status = 409
    code = "import_not_ready"


class ImportsBusy(KuajingError):
    status = 409
    code = "imports_busy"


# A job still unfinished this long after it began was left by a server that stopped.
ABANDONED_AFTER = timedelta(hours=1)
MAX_UNFINISHED = 2  # a seller's imports under way at once


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str
    blocking: bool  # the row is not imported until it is fixed

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "blocking": self.blocking}


@dataclass(frozen=True, slots=True)
class Checked:
    item: shopify.ImportItem
    action: str  # "create", "update" or "skip"
    problems: tuple[Problem, ...]
    body: ProductIn | None

    def as_row(self) -> dict[str, Any]:
        return {
            "line": self.item.line,
            "sku": self.item.sku,
            "title": self.item.title,
            "action": self.action,
            "problems": [problem.as_dict() for problem in self.problems],
        }


def _category(item: shopify.ImportItem) -> str | None:
    if item.category:
        return item.category if item.category in CATEGORIES else None
    digits = item.hs_code.replace(".", "")
    return next((category for prefix, category in CATEGORY_OF_HS if digits.startswith(prefix)), None)


def _variant_problems(
    item: shopify.ImportItem,
    variant: shopify.ImportVariant,
    seen: set[str],
    refuse: Callable[[str, str], None],
) -> dict[str, Any] | None:
    """A variant row's fields as the API takes them, or None with its problems refused."""
    # a product with options says which of its rows: "Line 4 (M): "
    where = f"Line {variant.line} ({' / '.join(variant.values) or '?'}): " if item.option_names else ""
    if not variant.sku:
        refuse(
            "missing_sku", f"{where}No SKU: each variant needs its own SKU, which later imports update it by."
        )
    elif variant.sku in seen:
        refuse("duplicate_sku", f"{where}SKU {variant.sku} is on an earlier row of this file too.")
    seen.add(variant.sku)
    if len(variant.values) != len(item.option_names) or "" in variant.values:
        refuse(
            "missing_option_value", f"{where}Give a value for each option ({', '.join(item.option_names)})."
        )
    price = shopify.cents(variant.price)
    if not price:
        refuse(
            "invalid_price", f"{where}Price {variant.price!r} is not a price in US dollars, such as 30.00."
        )
    quantity = shopify.whole(variant.quantity or "0")
    if quantity is None:
        refuse(
            "invalid_quantity",
            f"{where}Inventory quantity {variant.quantity!r} is not a whole number of units.",
        )
    grams = shopify.whole(variant.grams)
    if not grams or grams < 1:
        refuse("missing_weight", f"{where}No shipping weight: fill Variant Grams (Weight value (grams)).")
    if not (price and quantity is not None and grams):
        return None
    return {
        "sku": variant.sku,
        "options": list(variant.values),
        "price": {"amount": price, "currency": "USD"},
        "stock": quantity,
        "weight_grams": grams,
    }


def _blocking(item: shopify.ImportItem, seen: set[str]) -> tuple[list[Problem], ProductIn | None]:
    problems: list[Problem] = []

    def refuse(code: str, message: str) -> None:
        problems.append(Problem(code, message, blocking=True))

    if item.option_names and item.sku in seen:
        refuse("duplicate_handle", f"The handle {item.handle} is used by another product of this file.")
    if item.option_names and not re.fullmatch(SKU_PATTERN, item.handle):
        refuse(
            "invalid_handle",
            f"The handle {item.handle!r} cannot name the product: use letters, digits, dots and dashes, "
            "at most 64.",
        )
    if not item.option_names and len(item.variants) > 1:
        refuse("missing_option_value", "Several variants without option values: fill Option1 Value.")
    variants = [_variant_problems(item, variant, seen, refuse) for variant in item.variants]
    seen.add(item.sku)  # a handle names its product: no other product of the file may take it
    if not item.title_zh:
        drafted = wording.title_zh(
            item.title, wine=item.category == "wine" or item.hs_code.startswith("2204")
        )
        hint = f" (the glossary suggests: {drafted})" if drafted else ""
        refuse("missing_title_zh", f"No Chinese title: add a 'Title (zh)' column{hint}.")
    if not item.hs_code:
        refuse("missing_hs_code", "No HS code: add an 'HS Code' column, such as 2204.21 for bottled wine.")
    category = _category(item)
    if item.hs_code and category is None:
        refuse(
            "unknown_category",
            f"No category for HS code {item.hs_code}: add a 'Category' column ({', '.join(CATEGORIES)}).",
        )
    options = []
    for position, name in enumerate(item.option_names):
        zh = wording.option_name_zh(name)
        if zh is None:
            problems.append(
                Problem(
                    "option_name_zh",
                    f"The option {name!r} has no Chinese name in the glossary: buyers see it in English.",
                    False,
                )
            )
        values = list(dict.fromkeys(v.values[position] for v in item.variants if len(v.values) > position))
        options.append({"name": {"en": name, "zh": zh or name}, "values": values})
    if any(problem.blocking for problem in problems) or None in variants:
        return problems, None
    if item.option_names:  # as listing it would check them: each name and each choice once
        try:
            variant_rules.checked_options(options)
            variant_rules.check_distinct([(v.sku, v.values) for v in item.variants], product_sku=item.sku)
        except InvalidVariants as exc:
            refuse(exc.code, exc.message)
            return problems, None
    fields: dict[str, Any] = {
        "sku": item.sku,
        "title": {"en": item.title, "zh": item.title_zh},
        "description": {"en": item.body, "zh": item.body_zh},
        "category": category,
        "hs_code": item.hs_code,
        "attributes": {},
    }
    if item.option_names:
        fields |= {"options": options, "variants": variants}
    else:
        (only,) = variants
        assert only is not None
        fields |= {key: only[key] for key in ("price", "stock", "weight_grams")}
    try:
        body = ProductIn.model_validate(fields)
    except ValidationError as exc:
        names = sorted({".".join(str(part) for part in error["loc"]) for error in exc.errors()})
        refuse("invalid_field", f"These fields are not valid: {', '.join(names)}.")
        return problems, None
    return problems, body


def _clash(item: shopify.ImportItem, existing: dict[str, Product]) -> Problem | None:
    """What the seller already lists that the item cannot become: a product listed with options
    and now without (or the other way round), or a SKU that is another product's."""
    listed = existing.get(item.sku)
    if listed is not None and listed.parent_id is not None:
        return Problem(
            "duplicate_sku", f"{item.sku} is already a variant of your product #{listed.parent_id}.", True
        )
    if listed is not None and listed.has_variants != bool(item.option_names):
        had = "with options" if listed.has_variants else "without options"
        return Problem(
            "options_changed",
            f"{item.sku} is listed {had}; the file lists it otherwise. Give it a new handle (or SKU) to "
            "list it anew.",
            True,
        )
    for variant in item.variants if item.option_names else ():
        row = existing.get(variant.sku)
        if row is not None and (listed is None or row.parent_id != listed.id):
            return Problem(
                "duplicate_sku",
                f"Line {variant.line}: SKU {variant.sku} is already your product #{row.parent_id or row.id}; "
                "each variant needs a SKU of its own.",
                True,
            )
    return None


def _lowest_price(body: ProductIn) -> int:
    if body.price is not None:
        return body.price.amount
    return min(variant.price.amount for variant in body.variants)


async def check(
    session: AsyncSession,
    snapshots: Snapshots,
    *,
    seller_id: int,
    items: Sequence[shopify.ImportItem],
    image_hosts: frozenset[str] = frozenset(),
) -> list[Checked]:
    """What importing `items` would do, and every problem with each (read only)."""
    skus = [item.sku for item in items] + [variant.sku for item in items for variant in item.variants]
    existing = await repository.by_skus(session, seller_id=seller_id, skus=skus)
    seen: set[str] = set()
    drafts: list[tuple[shopify.ImportItem, list[Problem], ProductIn | None]] = []
    for item in items:
        problems, body = _blocking(item, seen)
        clash = _clash(item, existing) if body is not None else None
        if clash is not None:
            problems.append(clash)
            body = None
        drafts.append((item, problems, body))
    # what a listed product would still lack: its category's documents and label, a price
    unsaved = [
        Product(
            id=-index,
            seller_id=seller_id,
            sku=body.sku,
            title_en="",
            title_zh="",
            description_en="",
            description_zh="",
            category=body.category,
            hs_code=body.hs_code,
            price_amount=_lowest_price(body),
            price_currency="USD",
            stock=0,
            weight_grams=0,
            attributes=existing[body.sku].attributes if body.sku in existing else {},
        )  # fmt: skip
        for index, (_, _, body) in enumerate(drafts, start=1)
        if body is not None
    ]
    prices = await listing_prices(session, snapshots, unsaved)
    by_sku = {product.sku: product for product in unsaved}
    checked = []
    for item, problems, body in drafts:
        if body is not None:
            product = by_sku[body.sku]
            for rule in category_rules.listing_problems(product.hs_code, product.attributes):
                problems.append(Problem(rule.code, rule.message + " Fix it on the product's page.", False))
            if product.id not in prices:
                problems.append(
                    Problem(
                        "not_priced",
                        "It cannot be priced in yuan: no FX rate is set, or the HS code is not on the "
                        "positive list.",
                        False,
                    )
                )
        elsewhere = [url for url in item.images if not remote.allowed(url, image_hosts)]
        if elsewhere:
            problems.append(
                Problem(
                    "image_needs_upload",
                    f"{len(elsewhere)} photo(s) on a host the operator does not allow photos from: "
                    "upload them on the product's page.",
                    False,
                )
            )
        action = "skip" if body is None else ("update" if item.sku in existing else "create")
        checked.append(Checked(item, action, tuple(problems), body))
    return checked


async def start(
    session: AsyncSession, *, seller_id: int, filename: str, data: bytes, dry_run: bool
) -> CatalogImport:
    """Read the file (refused at once if it is not a product CSV) and keep a job for `run`."""
    await seller_service.get_profile(session, seller_id=seller_id)  # a seller imports once set up
    now = utcnow()
    under_way = [
        job
        for job in await repository.imports_of(session, seller_id=seller_id, limit=20)
        if not finished(job) and now - job.created_at < ABANDONED_AFTER
    ]
    if len(under_way) >= MAX_UNFINISHED:
        raise ImportsBusy(
            message=f"{len(under_way)} of your imports are still under way; send this file when one is done."
        )
    parsed = await asyncio.to_thread(shopify.read_import, data)
    return await repository.add_import(
        session,
        CatalogImport(
            seller_id=seller_id,
            filename=filename[:200] or "products.csv",
            format=parsed.format,
            dry_run=dry_run,
            status="queued",
            content=shopify.decoded(data),
            total=len(parsed.items),
            processed=0,
            created=0,
            updated=0,
            skipped=0,
            report=[],
            failure=None,
            created_at=utcnow(),
            finished_at=None,
        ),
    )


async def find(session: AsyncSession, *, seller_id: int, import_id: int) -> CatalogImport:
    """The seller's job; one a stopped server left unfinished is marked failed as it is read."""
    job = await repository.get_import(session, import_id)
    if job is None or job.seller_id != seller_id:
        raise ImportNotFound(message=f"No import {import_id}.")
    if not finished(job) and utcnow() - job.created_at > ABANDONED_AFTER:
        values = {
            "status": "failed",
            "failure": "The server stopped during this import. Import the file again: what was "
            "imported is updated, nothing is listed twice.",
            "finished_at": utcnow(),
        }
        await repository.save_import(session, import_id=import_id, values=values)
        job = await repository.get_import(session, import_id)
        assert job is not None
    return job


async def recent(session: AsyncSession, *, seller_id: int, limit: int = 20) -> list[CatalogImport]:
    return await repository.imports_of(session, seller_id=seller_id, limit=limit)


async def import_checked(session: AsyncSession, *, seller_id: int, import_id: int) -> CatalogImport:
    """After a dry run: import the same file (checked again as it runs)."""
    job = await find(session, seller_id=seller_id, import_id=import_id)
    if job.status != "checked" or not await repository.claim_import(
        session, import_id=import_id, was="checked", now_status="queued"
    ):
        raise ImportNotReady(
            message=f"Import {import_id} is {job.status}: only a finished dry run can be imported."
        )
    await repository.save_import(session, import_id=import_id, values={"dry_run": False, "finished_at": None})
    return await find(session, seller_id=seller_id, import_id=import_id)


async def _apply(
    session: AsyncSession, snapshots: Snapshots, *, seller_id: int, checked: Checked
) -> tuple[str, Problem | None]:
    """Create or update one product with its variants, whole or not at all (a savepoint)."""
    body = checked.body
    assert body is not None
    try:
        async with savepoint(session):
            existing = await catalog_service.find_by_sku(session, seller_id=seller_id, sku=body.sku)
            if existing is None:
                await catalog_service.create_product(
                    session, snapshots, seller_id=seller_id, sku=body.sku, title=body.title.model_dump(),
                    description=body.description.model_dump(), category=body.category, hs_code=body.hs_code,
                    price=Money(body.price.amount, "USD") if body.price else None, stock=body.stock,
                    weight_grams=body.weight_grams, attributes={},
                    options=[option.model_dump() for option in body.options],
                    new_variants=[variant.as_new() for variant in body.variants],
                )  # fmt: skip
                return "created", None
            changes: dict[str, Any] = {
                "title": body.title.model_dump(),
                "description": body.description.model_dump(),
                "category": body.category,
                "hs_code": body.hs_code,
            }
            if body.price is not None:
                changes |= {
                    "price": {"amount": body.price.amount, "currency": "USD"},
                    "weight_grams": body.weight_grams,
                }
                if checked.item.variants[0].quantity and body.stock is not None:  # blank: stock as it is
                    changes["stock_delta"] = body.stock - existing.stock
            await catalog_service.update_product(
                session, snapshots, seller_id=seller_id, product_id=existing.id, changes=changes
            )
            if body.variants:
                await _apply_variants(
                    session, snapshots, seller_id=seller_id, product=existing, checked=checked
                )
            return "updated", None
    except (KuajingError, ProductNotFound) as exc:
        return "skipped", Problem(exc.code, exc.message, True)


async def _apply_variants(
    session: AsyncSession, snapshots: Snapshots, *, seller_id: int, product: Product, checked: Checked
) -> None:
    """The file's variants onto a listed product with options: each found by its SKU is updated
    (its stock set to the file's quantity unless that is blank), each new one added."""
    assert checked.body is not None
    listed = {row.sku: row for row in await catalog_service.variants_of(session, product)}
    quantities = {variant.sku: variant.quantity for variant in checked.item.variants}
    for variant in checked.body.variants:
        row = listed.get(variant.sku)
        if row is None:
            await catalog_service.add_variant(
                session, snapshots, seller_id=seller_id, product_id=product.id, variant=variant.as_new()
            )
            continue
        changes: dict[str, Any] = {
            "price": {"amount": variant.price.amount, "currency": "USD"},
            "weight_grams": variant.weight_grams,
        }
        if quantities.get(variant.sku):
            changes["stock_delta"] = variant.stock - row.stock
        await catalog_service.update_variant(
            session, snapshots, seller_id=seller_id, product_id=product.id, variant_id=row.id, changes=changes
        )


@dataclass(frozen=True, slots=True)
class Photos:
    """Where imported products' photos go, and the hosts they may be fetched from."""

    storage: Storage
    hosts: frozenset[str] = frozenset()


async def _fetched(chunk: Sequence[Checked], photos: Photos) -> dict[int, list[images.Processed | Problem]]:
    """The chunk's photos from allowed hosts, fetched and drawn before its transaction opens."""
    found: dict[int, list[images.Processed | Problem]] = {}
    for row in chunk:
        if row.body is None:
            continue
        for url in row.item.images:
            if not remote.allowed(url, photos.hosts):
                continue
            try:
                found.setdefault(row.item.line, []).append(
                    await media_service.prepare(await remote.fetch(url, photos.hosts))
                )
            except remote.PhotoNotFetched as exc:
                found.setdefault(row.item.line, []).append(Problem("image_not_fetched", str(exc), False))
            except KuajingError as exc:  # not a usable photo
                found.setdefault(row.item.line, []).append(Problem(exc.code, f"{url}: {exc.message}", False))
    return found


async def run(database: Database, snapshots: Snapshots, import_id: int, photos: Photos) -> None:
    """Do the job: check it, and unless it is a dry run, import what passed. Never raises: a
    failure is kept on the job for the seller to read."""
    try:
        async with database.transaction(write=True) as session:
            if not await repository.claim_import(
                session, import_id=import_id, was="queued", now_status="checking"
            ):
                return  # another runner has it, or it is not waiting
            job = await repository.get_import(session, import_id)
            assert job is not None
            seller_id, dry_run, content = job.seller_id, job.dry_run, job.content
        items = (await asyncio.to_thread(shopify.read_import, content.encode("utf-8"))).items
        async with database.transaction(write=False) as session:
            checked = await check(
                session, snapshots, seller_id=seller_id, items=items, image_hosts=photos.hosts
            )
        report = [row.as_row() for row in checked]
        if dry_run:
            async with database.transaction(write=True) as session:
                values = {
                    "status": "checked",
                    "processed": len(checked),
                    "report": report,
                    "skipped": sum(row.action == "skip" for row in checked),
                    "finished_at": utcnow(),
                }
                await repository.save_import(session, import_id=import_id, values=values)
            return
        async with database.transaction(write=True) as session:
            await repository.save_import(session, import_id=import_id, values={"status": "importing"})
        created = updated = skipped = 0
        for start_at in range(0, len(checked), CHUNK):
            chunk = checked[start_at : start_at + CHUNK]
            drawn = await _fetched(chunk, photos)
            async with database.transaction(write=True) as session:
                for index, row in enumerate(chunk, start=start_at):
                    if row.body is None:
                        skipped += 1
                        continue
                    done, problem = await _apply(session, snapshots, seller_id=seller_id, checked=row)
                    created += done == "created"
                    updated += done == "updated"
                    if problem is not None:
                        skipped += 1
                        report[index]["action"] = "skip"
                        report[index]["problems"].append(problem.as_dict())
                        continue
                    for photo in drawn.get(row.item.line, []):
                        kept = (
                            photo
                            if isinstance(photo, Problem)
                            else await _add_photo(session, snapshots, photos, seller_id, row, photo)
                        )
                        if kept is not None:
                            report[index]["problems"].append(kept.as_dict())
                progress = {
                    "processed": start_at + len(chunk),
                    "created": created,
                    "updated": updated,
                    "skipped": skipped,
                    "report": report,
                }
                await repository.save_import(session, import_id=import_id, values=progress)
        async with database.transaction(write=True) as session:
            await repository.save_import(
                session,
                import_id=import_id,
                values={"status": "done", "content": "", "finished_at": utcnow()},
            )
    except Exception:  # the seller reads that it stopped; the operator's log has the trace
        log.exception("import %d failed", import_id)
        async with database.transaction(write=True) as session:
            failure = f"The import stopped on an unexpected error (import {import_id} in the server's log)."
            await repository.save_import(
                session,
                import_id=import_id,
                values={"status": "failed", "failure": failure, "finished_at": utcnow()},
            )


async def _add_photo(
    session: AsyncSession,
    snapshots: Snapshots,
    photos: Photos,
    seller_id: int,
    row: Checked,
    processed: images.Processed,
) -> Problem | None:
    """The fetched photo on the product (once: the same photo again is already there)."""
    product = await catalog_service.find_by_sku(session, seller_id=seller_id, sku=row.item.sku)
    assert product is not None
    try:
        async with savepoint(session):
            await catalog_service.add_prepared_image(
                session,
                photos.storage,
                snapshots,
                seller_id=seller_id,
                product_id=product.id,
                processed=processed,
            )
    except DuplicateImage:
        return None
    except KuajingError as exc:
        return Problem(exc.code, exc.message, False)
    return None


def finished(job: CatalogImport) -> bool:
    return job.status in ("checked", "done", "failed")


def progress_percent(job: CatalogImport) -> int:
    return 100 if finished(job) or not job.total else min(100, job.processed * 100 // job.total)


def report_csv(job: CatalogImport) -> bytes:
    """Every problem of every row, one a line, for the seller's spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "sku", "title", "action", "problem", "blocking", "message"])
    for row in job.report:
        for problem in row["problems"]:
            writer.writerow(
                [
                    row["line"],
                    safe_cell(row["sku"]),
                    safe_cell(row["title"]),
                    row["action"],
                    problem["code"],
                    "yes" if problem["blocking"] else "no",
                    safe_cell(problem["message"]),
                ]
            )
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM: spreadsheets then read UTF-8
