"""A rehearsal on a live marketplace (`kuajing rehearse --url`, same database): while its traffic is
there no buyer, operator list or report sees it and none of its orders can be paid; then
`kuajing rehearse --cleanup` deletes every row of it, says what it deleted per table, leaves every
real row as it was, and finds nothing the second time. Live: a server on the marketplace's own
database (tests/rehearsal/traffic.py), the cleanup run as operators run it."""

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.models import SellerDocument
from tests.helpers import in_db
from tests.order.factories import ADDRESS
from tests.rehearsal.traffic import Marketplace, buy, modelled_tables, row_counts, stage, table_digests
from tests.web.factories import page_text


def _document_keys(url: str, seller_id: int) -> list[str]:
    async def read(session: AsyncSession) -> list[str]:
        found = await session.scalars(
            select(SellerDocument.storage_key).where(SellerDocument.seller_id == seller_id)
        )
        return sorted(found)

    return in_db(url, read, write=False)


def _cleanup(marketplace: Marketplace) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kuajing.cli", "rehearse", "--cleanup", "--no-progress"],
        env={**os.environ, "KUAJING_DATABASE_URL": marketplace.database_url, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _removed(output: str) -> dict[str, int]:
    """The table `--cleanup` prints: table -> rows removed."""
    return {
        table: int(rows.replace(",", ""))
        for table, rows in re.findall(r"│ ([a-z_ ]+?) +│ +([\d,]+) +│", output)
    }


def _what_buyers_and_operators_see(marketplace: Marketplace) -> dict[str, object]:
    """The storefront's API answers, the operator's lists and the reports, as JSON."""
    with httpx.Client(base_url=marketplace.server.url, timeout=30) as client:
        seen = {
            path: client.get(path, headers=marketplace.operator).json()
            for path in (
                "/api/v1/products?limit=100",
                "/api/v1/products?q=T恤&limit=100",
                "/api/v1/products?category=garments&limit=100",
                "/api/v1/orders?limit=100",
                "/api/v1/impact/jobs",
                "/api/v1/ledger/trial-balance",
            )
        }
    return seen


def _pages(marketplace: Marketplace) -> dict[str, str]:
    """The storefront's and the console's pages, as a reader sees them."""
    with httpx.Client(
        base_url=marketplace.server.url, timeout=30, cookies={"kj_session": marketplace.operator_token}
    ) as client:
        pages = {}
        for path in (
            "/",
            "/search?q=T恤",
            "/singles-day",
            "/singles-day/live",
            "/console/orders",
            "/console/sellers",
            "/console/campaigns",
            "/console/jobs",
            "/console/ledger",
        ):
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.status_code)
            pages[path] = answer.text
    return pages


def test_rehearsal_traffic_is_seen_by_no_one_and_the_cleanup_leaves_the_marketplace_as_it_was(
    marketplace: Marketplace,
):
    url, server = marketplace.database_url, marketplace.server
    tables = modelled_tables()
    before = table_digests(url, tables)
    seen_before = _what_buyers_and_operators_see(marketplace)
    pages_before = _pages(marketplace)

    # given a rehearsal's stage on the marketplace's database and its buyers' purchases: 8 buyers
    # for 3 units, the first sending its purchase twice with one Idempotency-Key
    staged = stage(url, buyers=8, stock=3)
    answers = buy(server, staged)
    assert [answer.status_code for answer in answers] == [201, 201, 201, 201, 409, 409, 409, 409, 409]
    order_ids = sorted({answer.json()["order_id"] for answer in answers if answer.status_code == 201})
    assert len(order_ids) == 3
    staged_counts = row_counts(url, tables)

    # then the storefront's API, the operator's API lists and the reports answer as before
    assert _what_buyers_and_operators_see(marketplace) == seen_before
    # and no page shows the rehearsal's seller, product, campaign or orders
    pages = _pages(marketplace)
    for path, page in pages.items():
        text = page_text(page)
        assert "彩排" not in text and "Rehearsal" not in text and staged.tag not in page, path
        assert f'/products/{staged.product_id}"' not in page, path
        assert f'/sellers/{staged.seller_id}"' not in page, path
    for order_id in order_ids:
        assert f'/console/orders/{order_id}"' not in pages["/console/orders"]
    # the sale on now is the demo's, as before
    assert re.findall(r"campaign=(\d+)", pages["/singles-day"]) == re.findall(
        r"campaign=(\d+)", pages_before["/singles-day"]
    )
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get(f"/sellers/{staged.seller_id}").status_code == 404
        assert client.get(f"/singles-day?campaign={staged.campaign_id}").status_code == 404
        shadow_search = client.get("/api/v1/products", params={"seller_id": staged.seller_id}).json()
        assert (shadow_search["items"], shadow_search["total"]) == ([], 0)

        # and a rehearsal's order is never paid: no payment, journal entry or customs message
        winner = staged.buyers[0]
        paying = client.post(
            f"/api/v1/orders/{order_ids[0]}/pay",
            json={"method": "sandbox", "shipping_address": ADDRESS},
            headers={"Authorization": f"Bearer {winner.token}"},
        )
    assert (paying.status_code, paying.json()["code"]) == (409, "order_not_payable")
    assert row_counts(url, tables) == staged_counts
    assert _what_buyers_and_operators_see(marketplace) == seen_before

    # (the files its rows name: the folder is shared with any other test database's seller of
    # the same id in this test run)
    media = Path(os.environ["KUAJING_DATA_DIR"]) / "media"
    documents = _document_keys(url, staged.seller_id)
    assert len(documents) == staged_counts["seller_documents"] - before["seller_documents"][0]
    assert all((media / key).is_file() for key in documents)

    # when
    done = _cleanup(marketplace)

    # then it removed exactly what the rehearsal added, and said so per table
    assert done.returncode == 0, done.stdout + done.stderr
    added = {table: n - before[table][0] for table, n in staged_counts.items() if n != before[table][0]}
    assert _removed(done.stdout) == added, done.stdout
    assert {table: added[table] for table in ("users", "orders", "order_events", "deal_reservations")} == {
        "users": 10,
        "orders": 3,
        "order_events": 3,
        "deal_reservations": 3,
    }
    # every table holds the rows it held before, exactly, real rows untouched
    assert table_digests(url, tables) == before
    assert [key for key in documents if (media / key).exists()] == []
    assert _what_buyers_and_operators_see(marketplace) == seen_before

    # and a second cleanup finds nothing
    again = _cleanup(marketplace)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing removed" in again.stdout
    assert table_digests(url, tables) == before
