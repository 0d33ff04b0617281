from collections.abc import Iterator

import pytest

from tests.rehearsal.traffic import Marketplace, open_marketplace


@pytest.fixture(scope="package")
def marketplace(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Marketplace]:
    """The demo marketplace in a database of its own, with a server on it (tests/rehearsal/traffic.py)."""
    opened = open_marketplace(database_url, tmp_path_factory.mktemp("rehearsal-traffic"))
    yield opened
    opened.server.stop()
