import pytest

from tests.stock_ledger.redis_servers import shared_redis_url, start_servers


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The shared Redis server; tests keep to their own key prefix on it."""
    return shared_redis_url()


@pytest.fixture(scope="module")
def redis_cluster(tmp_path_factory):
    """A real 3-node Redis Cluster (no replicas) on free local ports."""
    servers = start_servers(tmp_path_factory.mktemp("redis-cluster"), 3, cluster=True)
    yield servers
    servers.stop()
