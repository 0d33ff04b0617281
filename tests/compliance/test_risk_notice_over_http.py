"""The versioned CBEC risk notice, and the version each order records."""

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product, stock_of
from tests.order.factories import order_ids, place


def test_the_risk_notice_in_force_covers_every_required_point(api):
    notice = api.get("/api/v1/risk-notice").json()
    assert notice["version"] == "2026-11-25"
    assert [p["key"] for p in notice["points"]] == [
        "origin_standards",
        "chinese_label",
        "personal_use",
        "limits",
        "taxes",
        "real_name",
    ]
    assert all(p["zh"] and p["en"] for p in notice["points"])


def test_an_order_records_the_notice_version_it_accepted(api):
    wine = create_product(api, seller_with_profile(api))
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(wine["id"], 1)], risk_notice_version="2026-11-25").json()
    assert order["risk_notice_version"] == "2026-11-25"
    assert order["risk_notice_accepted_at"] == order["created_at"]


def test_an_order_that_accepted_an_outdated_notice_is_refused(api):
    wine = create_product(api, seller_with_profile(api), stock=3)
    buyer = buyer_with_identity(api)
    refused = place(api, buyer, [(wine["id"], 1)], risk_notice_version="2019-01-01")
    assert refused.status_code == 409
    assert refused.json()["code"] == "risk_notice_outdated"
    assert (stock_of(api, wine["id"]), order_ids(api, buyer)) == (3, [])
