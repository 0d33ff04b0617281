"""A priced attempt survives the trip through a Redis stream entry unchanged."""

from datetime import datetime
from decimal import Decimal

import pytest

from kuajing.flash_sale.ledger import IdempotencyClaim
from kuajing.stock_ledger import attempt_codec
from tests.auth.factories import bulk_buyers_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.flash_sale.factories import create_campaign, create_deal
from tests.stock_ledger.redis_factories import prepared


def _priced_attempt(api, app, operator_token):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=5)
    deal = create_deal(api, seller, create_campaign(api, operator_token)["id"], wine["id"], quantity=5)
    (buyer,) = bulk_buyers_with_identity(app, 1)
    claim = IdempotencyClaim(owner=f"user:{buyer.id}", key="双11-retry", request_hash="ab" * 32)

    async def run(runtime):
        # the app's database: its transactions join the test's
        (attempt,) = await prepared(runtime.database, deal["id"], [buyer], quantity=2, idempotency=claim)
        return attempt

    return app.run_with_runtime(run)


def test_an_attempt_round_trips_with_its_types(api, app, operator_token):
    attempt = _priced_attempt(api, app, operator_token)

    text = attempt_codec.dumps(attempt)
    back = attempt_codec.loads(text, token="0.abc")

    assert back.token == "0.abc"
    assert attempt_codec.loads(text, token=None) == attempt
    # the types the order's columns need, not their JSON look-alikes
    assert isinstance(back.order["fx_rate"], Decimal)
    assert back.order["fx_rate"] == Decimal("7.1000")
    assert isinstance(back.order["expires_at"], datetime)
    assert back.order["expires_at"].utcoffset() is not None
    assert isinstance(back.deal.starts_at, datetime)
    assert back.idempotency == attempt.idempotency
    assert all(isinstance(pair, tuple) for pair in back.capped.values())


def test_an_unknown_encoding_is_refused(api, app, operator_token):
    attempt = _priced_attempt(api, app, operator_token)
    text = attempt_codec.dumps(attempt).replace('"v":1', '"v":99', 1)

    with pytest.raises(ValueError, match="unknown attempt encoding 99"):
        attempt_codec.loads(text, token=None)
