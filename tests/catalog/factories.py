import uuid
from typing import Any

import httpx

from tests.auth.factories import Account

WINE: dict[str, Any] = {
    "title": {"en": "Napa Valley Cabernet Sauvignon 2021", "zh": "纳帕谷赤霞珠干红葡萄酒 2021"},
    "description": {"en": "Dark fruit and cedar.", "zh": "黑色水果与雪松的香气。"},
    "category": "wine",
    "hs_code": "2204.21",
    "price": {"amount": 3000, "currency": "USD"},
    "stock": 100,
    "weight_grams": 1400,
    "attributes": {
        "abv": 14.5,
        "volume_ml": 750,
        "zh_label": {
            "name": "纳帕谷赤霞珠干红葡萄酒",
            "type": "干红葡萄酒",
            "abv": "14.5%vol",
            "volume": "750毫升",
            "origin": "美国加利福尼亚州纳帕谷",
            "importer": "上海跨境测试进出口有限公司",
            "bottling_date": "2023-04-18",
        },
    },
}
APPLES: dict[str, Any] = {
    "title": {"en": "Washington Honeycrisp Apples, 5 kg", "zh": "华盛顿州蜜脆苹果 5公斤"},
    "description": {"en": "Crisp and sweet.", "zh": "脆甜多汁。"},
    "category": "fruit",
    "hs_code": "0808.10",
    "price": {"amount": 2500, "currency": "USD"},
    "stock": 100,
    "weight_grams": 5500,
    "attributes": {
        "origin_state": "WA",
        "orchard_registration_no": "WA-ORC-0423",
        "packhouse_registration_no": "WA-PH-0117",
        "phyto_cert_no": "APHIS-2026-WA-118273",
        "cold_chain": True,
    },
}
TEE: dict[str, Any] = {
    "title": {"en": "Carolina Cotton Crew Tee", "zh": "卡罗来纳纯棉圆领T恤"},
    "description": {"en": "Heavyweight cotton.", "zh": "厚实纯棉。"},
    "category": "garments",
    "hs_code": "6109.10",
    "price": {"amount": 4500, "currency": "USD"},
    "stock": 100,
    "weight_grams": 300,
    "attributes": {"gb18401_category": "B", "fit_height_cm": 175, "fit_chest_cm": 96},
}


def product_body(template: dict[str, Any] = WINE, **overrides: Any) -> dict[str, Any]:
    return {"sku": f"SKU-{uuid.uuid4().hex[:10].upper()}", **template, **overrides}


def create_product(
    api: httpx.Client, seller: Account, template: dict[str, Any] = WINE, **overrides: Any
) -> dict[str, Any]:
    response = api.post("/api/v1/products", json=product_body(template, **overrides), headers=seller.headers)
    assert response.status_code == 201, response.text
    return response.json()


def stock_of(api: httpx.Client, product_id: int) -> int:
    response = api.get(f"/api/v1/products/{product_id}")
    assert response.status_code == 200, response.text
    return response.json()["stock"]


SUGAR_ATTRIBUTES = {"net_content": 500, "unit": "g"}


def sugar(api, seller, **overrides):
    """A 500 g bag of cane sugar: HS 1701, capped at 2,000 g a person a year by the positive list."""
    fields = {
        "title": {"en": "Maui Cane Sugar 500 g", "zh": "毛伊岛蔗糖 500克"},
        "category": "other",
        "hs_code": "1701.99",
        "price": {"amount": 500, "currency": "USD"},
        "attributes": SUGAR_ATTRIBUTES,
        "stock": 50,
    }
    return create_product(api, seller, WINE, **{**fields, **overrides})


SWEATER: dict[str, Any] = {
    "title": {"en": "Cable-Knit Cotton Sweater", "zh": "纯棉麻花针织毛衣"},
    "description": {"en": "Combed cotton.", "zh": "精梳棉纱。"},
    "category": "garments",
    "hs_code": "6110.20",
    "attributes": {"gb18401_category": "B", "material": "100% cotton"},
    "options": [{"name": {"en": "Size", "zh": "尺码"}, "values": ["S", "M", "L"]}],
}


def sweater_variants(sku: str, *, stocks: tuple[int, int, int] = (10, 20, 30)) -> list[dict[str, Any]]:
    """S, M and L at $110, $118 and $118, each with its own measurements (165/84A, 170/88A, 175/92A)."""
    return [
        {
            "sku": f"{sku}-{size}",
            "options": [size],
            "price": {"amount": price, "currency": "USD"},
            "stock": stock,
            "weight_grams": weight,
            "attributes": {"fit_height_cm": height, "fit_chest_cm": chest},
        }
        for size, price, stock, weight, height, chest in zip(
            ("S", "M", "L"),
            (11000, 11800, 11800),
            stocks,
            (680, 720, 760),
            (165, 170, 175),
            (84, 88, 92),
            strict=True,
        )
    ]


def create_sweater(api: httpx.Client, seller: Account, **overrides: Any) -> dict[str, Any]:
    """A sweater in sizes S, M and L; `variant[size]` is each size's id."""
    sku = f"SWEATER-{uuid.uuid4().hex[:8].upper()}"
    body = {"sku": sku, **SWEATER, "variants": sweater_variants(sku), **overrides}
    response = api.post("/api/v1/products", json=body, headers=seller.headers)
    assert response.status_code == 201, response.text
    return response.json()


def variant_ids(product: dict[str, Any]) -> dict[str, int]:
    """Each variant's id by its option values ("L", or "L / Navy")."""
    return {" / ".join(variant["options"]): variant["id"] for variant in product["variants"]}
