"""What the server counts: requests by route template, orders by channel, payments by provider and
outcome, flash-sale attempts by outcome, the stock ledger's batch sizes."""

from contextlib import contextmanager

import pytest
from prometheus_client import REGISTRY

from kuajing.observability import metrics
from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.flash_sale.factories import purchase, wine_deal_of
from tests.order.factories import place


def _value(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


@contextmanager
def counting(*samples):
    """The change of each (name, labels) sample over the block, in a list filled at its end."""
    before = [_value(name, **labels) for name, labels in samples]
    changes: list[float] = []
    yield changes
    changes.extend(_value(name, **labels) - was for (name, labels), was in zip(samples, before, strict=True))


def test_a_request_is_counted_under_its_route_template_and_status_class(api):
    # given
    labels = {"method": "GET", "route": "/api/v1/products/{product_id}"}
    samples = [
        ("kuajing_http_requests_total", {**labels, "status": "4xx"}),
        ("kuajing_http_request_duration_seconds_count", labels),
    ]
    # when
    with counting(*samples) as changes:
        assert api.get("/api/v1/products/987654321").status_code == 404
        assert api.get("/api/v1/products/987654322").status_code == 404
    # then
    assert changes == [2.0, 2.0]
    routes = {
        sample.labels.get("route")
        for family in REGISTRY.collect()
        if family.name == "kuajing_http_requests"
        for sample in family.samples
    }
    assert not any("98765432" in route for route in routes)


def test_a_placed_order_is_counted_by_its_channel_and_its_sandbox_payment_started_and_captured(api):
    # given
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    buyer = buyer_with_identity(api)
    samples = [
        ("kuajing_orders_placed_total", {"channel": "cbec"}),
        ("kuajing_payments_total", {"provider": "sandbox", "outcome": "started"}),
        ("kuajing_payments_total", {"provider": "sandbox", "outcome": "captured"}),
    ]
    # when
    with counting(*samples) as changes:
        order = place(api, buyer, [(wine["id"], 1)])
        assert order.status_code == 201, order.text
        paid = api.post(
            f"/api/v1/orders/{order.json()['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers
        )
        assert paid.status_code == 200, paid.text
    # then
    assert changes == [1.0, 1.0, 1.0]


def test_flash_sale_attempts_are_counted_by_outcome_and_applied_in_batches(api, operator_token):
    # given: two units, one per buyer
    deal = wine_deal_of(api, operator_token, 2)
    first, second, third = buyer_with_identity(api), buyer_with_identity(api), buyer_with_identity(api)
    purchase_route = {"method": "POST", "route": "/api/v1/deals/{deal_id}/purchase"}
    samples = [
        ("kuajing_flash_sale_purchases_total", {"outcome": "reserved"}),
        ("kuajing_flash_sale_purchases_total", {"outcome": "buyer_limit_reached"}),
        ("kuajing_flash_sale_purchases_total", {"outcome": "sold_out"}),
        ("kuajing_stock_ledger_batch_size_count", {}),
        ("kuajing_stock_ledger_batch_size_sum", {}),
        ("kuajing_http_requests_total", {**purchase_route, "status": "2xx"}),
        ("kuajing_http_requests_total", {**purchase_route, "status": "4xx"}),
    ]
    # when
    with counting(*samples) as changes:
        assert purchase(api, first, deal["id"]).status_code == 201
        assert purchase(api, first, deal["id"]).status_code == 409  # refused in its batch: the limit
        assert purchase(api, second, deal["id"]).status_code == 201  # the last unit
        # sold out: from the worker's memory, by the losers' fast path or the endpoint
        assert purchase(api, third, deal["id"]).status_code == 409
    # then: three attempts reached the ledger, each in a batch of its own
    assert changes == [2.0, 1.0, 1.0, 3.0, 3.0, 2.0, 2.0]


def test_the_pool_is_read_as_it_is(app):
    # the in-process app's pool: one connection, held by this test's transaction
    metrics.sample_pool(app.database.engine.pool)
    assert (_value("kuajing_db_pool_size"), _value("kuajing_db_pool_checked_out")) == (1.0, 1.0)


@pytest.mark.once
def test_status_classes():
    assert [metrics.status_class(status) for status in (200, 201, 302, 404, 409, 503)] == [
        "2xx",
        "2xx",
        "3xx",
        "4xx",
        "4xx",
        "5xx",
    ]


@pytest.mark.once
def test_a_method_no_client_should_send_is_counted_as_other():
    before = _value("kuajing_http_requests_total", method="OTHER", route="unmatched", status="4xx")
    metrics.observe_request("BREW", "unmatched", 405, 0.001)
    after = _value("kuajing_http_requests_total", method="OTHER", route="unmatched", status="4xx")
    assert after - before == 1.0
    assert _value("kuajing_http_requests_total", method="BREW", route="unmatched", status="4xx") == 0.0
