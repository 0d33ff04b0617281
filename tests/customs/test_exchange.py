"""The exchange on its own: the server's loop, and a hand-over that fails."""

import time
from collections.abc import Iterator

from kuajing.customs import exchange
from kuajing.customs.service import CustomsParties
from kuajing.customs.transport import Incoming, Outgoing
from tests.customs.helpers import customs_of, paid_order, seller_with_customs_code
from tests.live import start_server


# live: the exchange loop runs in a server of its own, which must see the committed order
def test_the_server_sends_drafts_on_its_own(live_api, database_url, tmp_path):
    # given a paid order whose drafts nobody has sent
    seller, _ = seller_with_customs_code(live_api)
    order, _ = paid_order(live_api, seller, quantity=1)
    assert {m["status"] for m in customs_of(live_api, order["id"], seller).values()} == {"draft"}
    # when a server with the exchange loop switched on runs for a moment
    looping = start_server(
        database_url,
        tmp_path / "looping.log",
        customs_exchange_interval_seconds="0.2",
        sweep_interval_seconds="0",
    )
    try:
        deadline = time.monotonic() + 20
        found = customs_of(live_api, order["id"], seller)
        while time.monotonic() < deadline and {m["status"] for m in found.values()} != {"sent"}:
            time.sleep(0.2)
            found = customs_of(live_api, order["id"], seller)
    finally:
        looping.stop()
    # then both messages were sent into that server's outbox
    assert {kind: m["status"] for kind, m in found.items()} == {"CEB311": "sent", "CEB411": "sent"}
    for kind, message in found.items():
        assert (looping.customs_outbox / f"{kind}_{message['guid']}.xml").exists()


class BrokenTransport:
    """An outbox that cannot be written (a full disk, a missing mount)."""

    def __init__(self) -> None:
        self.tried: list[str] = []

    def send(self, message: Outgoing) -> None:
        self.tried.append(message.guid)
        raise OSError("No space left on device")

    def receipts(self) -> Iterator[Incoming]:
        return iter(())

    def done(self, receipt: Incoming) -> None:
        raise AssertionError("no receipts were offered")

    def failed(self, receipt: Incoming, reason: str) -> None:
        raise AssertionError("no receipts were offered")


def test_a_message_that_cannot_be_handed_over_stays_a_draft(api, app):
    # given a paid order
    seller, _ = seller_with_customs_code(api)
    order, _ = paid_order(api, seller, quantity=1)
    before = customs_of(api, order["id"], seller)
    transport = BrokenTransport()

    # when the exchange cannot write to the outbox
    async def run(runtime) -> exchange.ExchangeSummary:
        return await exchange.exchange_once(
            runtime.database, transport, CustomsParties.from_settings(app.settings)
        )

    summary = app.run_with_runtime(run)

    # then it tried both of ours, counted the errors, and the move to sent was rolled back
    assert {before["CEB311"]["guid"], before["CEB411"]["guid"]} <= set(transport.tried)
    assert summary.errors == len(transport.tried) and summary.sent == 0
    assert customs_of(api, order["id"], seller) == before
