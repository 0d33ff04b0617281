"""GET /metrics: the Prometheus text exposition, parseable, with the pool read at the scrape; off
or behind a token when configured."""

import asyncio

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from kuajing.app import create_app
from kuajing.observability.endpoints import redis_readings
from tests.in_process import settings_for
from tests.stock_ledger.redis_servers import shared_redis_url

TOKEN = "scrape-token-0123456789"


def test_the_exposition_parses_and_holds_every_family(api):
    # given: a request counted before the scrape
    assert api.get("/healthz").status_code == 200
    # when
    answer = api.get("/metrics")
    # then
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; version=1.0.0; charset=utf-8"
    families = {family.name: family for family in text_string_to_metric_families(answer.text)}
    assert {
        "kuajing_http_requests",
        "kuajing_http_request_duration_seconds",
        "kuajing_orders_placed",
        "kuajing_payments",
        "kuajing_flash_sale_purchases",
        "kuajing_stock_ledger_batch_size",
        "kuajing_redis_take_seconds",
        "kuajing_db_pool_checked_out",
        "kuajing_db_pool_size",
    } <= set(families)
    assert families["kuajing_http_requests"].type == "counter"
    assert families["kuajing_stock_ledger_batch_size"].type == "histogram"
    healthz = [
        sample
        for sample in families["kuajing_http_requests"].samples
        if sample.name == "kuajing_http_requests_total" and sample.labels["route"] == "/healthz"
    ]
    assert [sample.labels for sample in healthz] == [{"method": "GET", "route": "/healthz", "status": "2xx"}]
    # the in-process app's pool: one connection, held by this test's transaction
    assert [sample.value for sample in families["kuajing_db_pool_size"].samples] == [1.0]
    assert [sample.value for sample in families["kuajing_db_pool_checked_out"].samples] == [1.0]
    assert "kuajing_redis_up" not in families  # no Redis configured


@pytest.mark.once
def test_with_a_token_only_a_scrape_that_shows_it_is_answered(test_database_url):
    with TestClient(create_app(settings_for(test_database_url, metrics_token=TOKEN))) as client:
        assert client.get("/metrics").status_code == 401
        wrong = {"Authorization": "Bearer wrong-token-0123456"}
        assert client.get("/metrics", headers=wrong).status_code == 401
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200
        assert "kuajing_http_requests_total" in answer.text


@pytest.mark.once
def test_turned_off_there_is_no_metrics_route(test_database_url):
    with TestClient(create_app(settings_for(test_database_url, metrics=False))) as client:
        assert client.get("/metrics").status_code == 404
        assert client.get("/healthz").status_code == 200


@pytest.mark.once
def test_redis_that_does_not_answer_is_down_and_no_redis_says_nothing():
    assert asyncio.run(redis_readings(None)) == []
    (up,) = asyncio.run(redis_readings("redis://127.0.0.1:9"))
    assert (up.name, [sample.value for sample in up.samples]) == ("kuajing_redis_up", [0.0])


@pytest.mark.once
def test_redis_that_answers_is_up_with_the_time_of_its_ping():
    up, ping = asyncio.run(redis_readings(shared_redis_url()))
    assert [sample.value for sample in up.samples] == [1.0]
    assert ping.name == "kuajing_redis_ping_seconds"
    (seconds,) = [sample.value for sample in ping.samples]
    assert 0 < seconds < 1
