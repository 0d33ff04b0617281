"""The same Redis ledger code on a real 3-node Redis Cluster the test starts on local ports, with
the hot deal's stock split over 3 buckets (3 slots): the 2,000-buyer race still sells exactly
100 units, and the deal's keys are spread over more than one node."""

import pytest
import redis

from kuajing.stock_ledger.redis_stock import RedisStock
from tests.flash_sale.races import (
    RACE_SERVER_ARGS,
    assert_exactly_a_hundred_sold,
    hundred_unit_deal,
    two_thousand_buyers_race,
)
from tests.live import start_server
from tests.stock_ledger.redis_factories import redis_deal
from tests.stock_ledger.redis_servers import new_prefix

BUCKETS = 3


@pytest.fixture(scope="module")
def prefix():
    return new_prefix()


@pytest.fixture(scope="module")
def cluster_workers(database_url, redis_cluster, prefix, tmp_path_factory):
    server = start_server(
        database_url,
        tmp_path_factory.mktemp("flash-cluster") / "server.log",
        workers=2,
        extra_args=RACE_SERVER_ARGS,
        sweep_interval_seconds="0",
        auth_cache_seconds="5",
        redis_url=redis_cluster.url,
        redis_cluster="true",
        redis_prefix=prefix,
        flash_sale_stock_buckets=str(BUCKETS),
    )
    yield server.url
    server.stop()


def _nodes_holding(redis_cluster, prefix, deal_id) -> set[int]:
    """The ports of the nodes that hold any of the deal's bucket hashes (a key lives only on the
    node that owns its slot, so a plain EXISTS on each node tells)."""
    names = RedisStock(redis_cluster.client(redis_cluster.ports[0]), prefix=prefix, buckets=BUCKETS)
    keys = [names.keys(deal_id, bucket)[0] for bucket in range(BUCKETS)]
    return {
        port for port in redis_cluster.ports for key in keys if _exists_here(redis_cluster.client(port), key)
    }


def _exists_here(node: redis.Redis, key: str) -> bool:
    try:
        return node.exists(key) == 1
    except redis.exceptions.MovedError:  # another node owns the key's slot
        return False


def test_two_thousand_buyers_race_on_a_three_node_cluster_with_three_buckets(
    live_api, operator_token, database_url, redis_cluster, prefix, cluster_workers
):
    # given a 100-unit deal whose Redis stock is split over 3 buckets on a 3-node cluster
    deal, wine = hundred_unit_deal(live_api, operator_token)

    # when 2,000 buyers buy one unit at once over 200 connections
    buyers, responses = two_thousand_buyers_race(database_url, cluster_workers, deal["id"])

    # then exactly 100 orders, nothing oversold, and Redis agreeing with the database: no units
    # left over all buckets, each winner's unit counted, no entry unsettled. The buckets sum to
    # zero but need not each be zero: a rebuild racing takes on the other worker shares the free
    # units out while those takes land, which can leave one bucket below zero and another above
    # by as much (a false admission the database would refuse, never an oversell).
    winners = assert_exactly_a_hundred_sold(live_api, database_url, deal["id"], wine["id"], buyers, responses)
    redis = redis_deal(redis_cluster.url, deal["id"], prefix=prefix, buckets=BUCKETS, cluster=True)
    assert (sum(redis.stock), redis.buyers, redis.entries) == (0, {buyer_id: 1 for buyer_id in winners}, 0)
    # and the deal's buckets landed on more than one node
    assert len(_nodes_holding(redis_cluster, prefix, deal["id"])) > 1
