"""Which message a receipt moves: a guid must be ours and agree with the key; a key that names
more than one message, with no guid to choose, moves nothing."""

from tests.customs.factories import receipt_xml
from tests.customs.helpers import (
    LOGISTICS_CODE,
    PLATFORM_CODE,
    customs_of,
    drop,
    exchange,
    paid_order,
    seller_with_customs_code,
)

UNKNOWN_GUID = "00000000-0000-4000-8000-000000000000"


def order_receipt(order_id: int, guid: str | None) -> bytes:
    fields = {"guid": guid} if guid else {}
    return receipt_xml(
        "CEB312",
        {
            **fields,
            "ebpCode": PLATFORM_CODE,
            "orderNo": f"KJ{order_id:010d}",
            "returnStatus": "120",
            "returnTime": "20261111000200",
        },
    )


def waybill_receipt(tracking: str, guid: str | None) -> bytes:
    fields = {"guid": guid} if guid else {}
    return receipt_xml(
        "CEB512",
        {
            **fields,
            "logisticsCode": LOGISTICS_CODE,
            "logisticsNo": tracking,
            "returnStatus": "120",
            "returnTime": "20261113093500",
        },
    )


def reason_of(server, name: str) -> str:
    return (server.customs_inbox / "failed" / f"{name}.reason.txt").read_text()


# live: the receipts are applied by the operator's `kuajing customs exchange` (a subprocess)
def test_a_guid_we_do_not_know_or_that_disagrees_with_the_key_moves_nothing(live_api, server, database_url):
    # given two paid orders whose messages were sent
    seller, _ = seller_with_customs_code(live_api)
    first, _ = paid_order(live_api, seller, quantity=1)
    second, _ = paid_order(live_api, seller, quantity=1)
    exchange(server, database_url)
    before = {order["id"]: customs_of(live_api, order["id"], seller) for order in (first, second)}
    first_guid = before[first["id"]]["CEB311"]["guid"]
    # when a receipt names the first order with a guid that is not ours, and another names the
    # first order's guid with the second order's number
    drop(server.customs_inbox, f"unknown-guid-{first['id']}.xml", order_receipt(first["id"], UNKNOWN_GUID))
    drop(server.customs_inbox, f"crossed-{first['id']}.xml", order_receipt(second["id"], first_guid))
    exchange(server, database_url)
    # then neither order moves, and both files are set aside with their reasons
    assert {order_id: customs_of(live_api, order_id, seller) for order_id in before} == before
    assert (
        reason_of(server, f"unknown-guid-{first['id']}.xml") == f"no CEB311 of ours has guid {UNKNOWN_GUID}\n"
    )
    assert reason_of(server, f"crossed-{first['id']}.xml") == (
        f"guid {first_guid} is not the CEB311 of orderNo KJ{second['id']:010d}\n"
    )


# live: the receipts are applied by the operator's `kuajing customs exchange` (a subprocess)
def test_a_tracking_number_shared_by_two_orders_needs_the_guid(live_api, server, database_url):
    # given two orders shipped under the same tracking number, their waybills sent
    seller, _ = seller_with_customs_code(live_api)
    orders = [paid_order(live_api, seller, quantity=1)[0] for _ in range(2)]
    tracking = f"SFSHARED{orders[0]['id']:010d}"
    for order in orders:
        shipped = live_api.post(
            f"/api/v1/orders/{order['id']}/ship", json={"tracking_number": tracking}, headers=seller.headers
        )
        assert shipped.status_code == 200, shipped.text
    exchange(server, database_url)
    waybills = [customs_of(live_api, order["id"], seller)["CEB511"] for order in orders]
    assert [w["status"] for w in waybills] == ["sent", "sent"]
    # when a waybill receipt names only the tracking number
    drop(server.customs_inbox, f"{tracking}-no-guid.xml", waybill_receipt(tracking, None))
    exchange(server, database_url)
    # then it is refused as ambiguous and moves neither
    assert [customs_of(live_api, o["id"], seller)["CEB511"]["status"] for o in orders] == ["sent", "sent"]
    assert reason_of(server, f"{tracking}-no-guid.xml") == (
        f"logisticsNo {tracking} matches more than one CEB511 and the receipt names no guid\n"
    )
    # when a receipt names the second waybill's guid
    drop(server.customs_inbox, f"{tracking}-second.xml", waybill_receipt(tracking, waybills[1]["guid"]))
    exchange(server, database_url)
    # then that one, and only that one, is accepted
    assert [customs_of(live_api, o["id"], seller)["CEB511"]["status"] for o in orders] == ["sent", "accepted"]
