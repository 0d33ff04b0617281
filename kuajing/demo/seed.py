"""The demo marketplace: sellers, products, buyers, past orders and a Singles' Day sale (sale.py),
created through the services.

Running it again adds only what is missing, so nothing is duplicated.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from importlib import resources
from typing import Any

from kuajing.auth import service as auth_service
from kuajing.auth.passwords import Passwords
from kuajing.catalog import service as catalog_service
from kuajing.catalog.snapshots import Snapshots
from kuajing.catalog.variants import NewVariant
from kuajing.checkout import service as checkout_service
from kuajing.compliance import category_rules
from kuajing.compliance import service as compliance_service
from kuajing.demo.photos import draw_product
from kuajing.demo.sale import open_sales
from kuajing.fulfillment import service as fulfillment_service
from kuajing.fulfillment.service import FulfillmentContext
from kuajing.kit.money import Money
from kuajing.kit.time import utcnow
from kuajing.media.storage import Storage
from kuajing.models import Role, User
from kuajing.order import service as order_service
from kuajing.payment.providers import Providers
from kuajing.payment.sandbox import SandboxProvider
from kuajing.pricing import service as pricing_service
from kuajing.runtime import Runtime
from kuajing.seller import service as seller_service
from kuajing.vetting import service as vetting_service

DEMO_PASSWORD = "kuajing-demo-2026"
OPERATOR_EMAIL = "operator@kuajing.example"
DEMO_FX_RATE = "7.1000"
# Past orders per buyer: (seller index, product index within seller, quantity), paid or left pending.
PAST_ORDERS = [(0, 0, 2), (3, 1, 1), (6, 0, 1)]


@dataclass
class SeedReport:
    users: int = 0
    products: int = 0
    photos: int = 0
    orders: int = 0
    campaigns: int = 0
    deals: int = 0


def _variant(variant: dict[str, Any]) -> NewVariant:
    return NewVariant(
        sku=variant["sku"],
        options=variant["options"],
        price=Money(variant["price"], "USD"),
        stock=variant["stock"],
        weight_grams=variant["weight_grams"],
        attributes=variant["attributes"],
    )


def load_catalog() -> dict[str, Any]:
    catalog: dict[str, Any] = json.loads(
        resources.files("kuajing.demo").joinpath("catalog.json").read_text(encoding="utf-8")
    )
    return catalog


def steps(catalog: dict[str, Any]) -> int:
    return 3 + len(catalog["sellers"]) + len(catalog["buyers"])


async def _user(runtime: Runtime, *, email: str, role: Role, name: str, report: SeedReport) -> User:
    database = runtime.database
    async with database.transaction(write=False) as session:
        user = await auth_service.find_user(session, email=email)
    if user is not None:
        return user
    password_hash = await auth_service.hash_new_password(
        runtime.get(Passwords), email=email, password=DEMO_PASSWORD
    )
    async with database.transaction(write=True) as session:
        user = await auth_service.create_user(
            session, email=email, password_hash=password_hash, role=role, name=name
        )
        report.users += 1
        return user


async def seed(
    runtime: Runtime, *, advance: Callable[[str], None] = lambda _label: None, now: datetime | None = None
) -> SeedReport:
    """Seed what is missing; the Singles' Day sale's times count from `now` (default: the clock)."""
    catalog = load_catalog()
    report = SeedReport()
    database = runtime.database
    snapshots = runtime.get(Snapshots)
    storage = runtime.get(Storage)
    # The demo's past orders are paid in the sandbox whatever this server offers buyers: demo data
    # moves no money, even where Alipay or WeChat Pay is configured.
    fulfillment = runtime.get(FulfillmentContext)
    paid_in_sandbox = replace(
        fulfillment, providers=Providers({"sandbox": SandboxProvider(runtime.settings.public_url)})
    )

    operator = await _user(
        runtime, email=OPERATOR_EMAIL, role=Role.operator, name="Demo Operator", report=report
    )
    async with database.transaction(write=True) as session:
        if await snapshots.fx.usd_cny(session, fresh=True) is None:
            await pricing_service.set_fx_rate(
                session, snapshots.fx, pair="USD-CNY", rate=DEMO_FX_RATE, operator_id=operator.id
            )
    advance("operator and FX rate")

    product_ids: list[list[int]] = []
    seller_of_sku: dict[str, int] = {}
    for number, entry in enumerate(catalog["sellers"]):
        seller = await _user(
            runtime, email=entry["email"], role=Role.seller, name=entry["name"], report=report
        )
        async with database.transaction(write=True) as session:
            await seller_service.save_profile(
                session,
                snapshots.sellers,
                seller_id=seller.id,
                legal_name=entry["legal_name"],
                us_state=entry["us_state"],
                employees=entry["employees"],
                shipping_fee=Money(entry["shipping_fee"], "USD"),
                story=entry["story"],
                ein=f"{90 + number % 10}-{7_000_000 + number:07d}",  # made up, as the sellers are
            )
            ids = []
            for item in entry["products"]:
                seller_of_sku[item["sku"]] = seller.id
                product = await catalog_service.find_by_sku(session, seller_id=seller.id, sku=item["sku"])
                if product is None:
                    product = await catalog_service.create_product(
                        session,
                        snapshots,
                        seller_id=seller.id,
                        sku=item["sku"],
                        title=item["title"],
                        description=item["description"],
                        category=item["category"],
                        hs_code=item["hs_code"],
                        price=Money(item["price"], "USD") if "price" in item else None,
                        stock=item.get("stock"),
                        weight_grams=item.get("weight_grams"),
                        attributes=item["attributes"],
                        options=item.get("options", ()),
                        new_variants=[_variant(variant) for variant in item.get("variants", ())],
                    )
                    report.products += 1
                if not (await catalog_service.images_of(session, storage, [product.id]))[product.id]:
                    await catalog_service.add_image(
                        session,
                        storage,
                        snapshots,
                        seller_id=seller.id,
                        product_id=product.id,
                        data=draw_product(item),
                    )
                    report.photos += 1
                # Past orders use only products that can be ordered; the demo keeps a couple of
                # listings with problems (a wine without its importer) for sellers to see.
                if not category_rules.listing_problems(item["hs_code"], item["attributes"]):
                    ids += await catalog_service.sold_ids(session, product)
            # vetted as a real seller is, on specimen documents, by the demo operator
            await vetting_service.vet_with_specimens(
                session,
                storage,
                snapshots,
                seller_id=seller.id,
                operator_id=operator.id,
                reason="Demo seller: its specimen documents were checked.",
                now=utcnow(),
            )
            product_ids.append(ids)
        advance(entry["legal_name"])

    for number, entry in enumerate(catalog["buyers"]):
        buyer = await _user(runtime, email=entry["email"], role=Role.buyer, name=entry["name"], report=report)
        async with database.transaction(write=True) as session:
            await compliance_service.set_identity(
                session, user_id=buyer.id, name=entry["name"], id_number=entry["id_number"]
            )
        async with database.transaction(write=False) as session:
            viewer = order_service.Viewer(buyer.id, Role.buyer)
            has_orders, _ = await order_service.list_orders(
                session, viewer=viewer, status=None, cursor=None, limit=1
            )
        if not has_orders:
            for index, (seller_no, product_no, quantity) in enumerate(PAST_ORDERS):
                seller_no = (seller_no + number) % len(product_ids)
                product_id = product_ids[seller_no][product_no % len(product_ids[seller_no])]
                async with database.transaction(write=True) as session:
                    order = await checkout_service.place_order(
                        session,
                        snapshots,
                        buyer_id=buyer.id,
                        lines=[(product_id, quantity)],
                        shipping_address={
                            "name": entry["name"],
                            "phone": entry["phone"],
                            "province": entry["province"],
                            "city": entry["city"],
                            "district": entry["district"],
                            "street": entry["street"],
                        },
                        risk_notice_accepted=True,
                        ttl_seconds=30 * 24 * 3600,
                    )
                    report.orders += 1
                    if index < len(PAST_ORDERS) - 1:  # the last one stays unpaid, as real carts do
                        await fulfillment_service.pay_order(
                            session,
                            paid_in_sandbox,
                            order_id=order.id,
                            buyer_id=buyer.id,
                            method="sandbox",
                        )
        advance(entry["name"])

    opened = await open_sales(runtime, operator_id=operator.id, sellers=seller_of_sku, now=now or utcnow())
    report.campaigns, report.deals = opened.campaigns, opened.deals
    advance("Singles' Day")
    advance("done")
    return report
