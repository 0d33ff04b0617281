"""Customs messages over HTTP: drafted on payment and shipping, sent to the outbox, answered by
receipts in the inbox, shown only to the operator and the owning seller."""

from kuajing.customs import messages
from tests.auth.factories import buyer_with_identity, operator_headers, register, seller_with_profile
from tests.catalog.factories import create_product
from tests.customs.factories import receipt_xml
from tests.customs.helpers import (
    LOGISTICS_CODE,
    PAYMENT_CODE,
    PLATFORM_CODE,
    customs_of,
    drop,
    exchange,
    field,
    paid_order,
    seller_with_customs_code,
    summary_count,
    xml_of,
)
from tests.order.factories import place

HEAD = "ceb:Order/ceb:OrderHead/ceb:"
PAY = "ceb:Payment/ceb:PaymentHead/ceb:"
WAYBILL = "ceb:Logistics/ceb:LogisticsHead/ceb:"


# live: the operator's `kuajing customs exchange` (a subprocess) must see the committed orders
def test_a_paid_order_travels_to_customs_and_back(live_api, server, database_url, operator_token):
    operator = type("Op", (), {"headers": operator_headers(operator_token)})()
    exchange(server, database_url)  # send whatever earlier tests left, so the counts below are ours
    # given a seller with a customs code and the design's wine order, paid
    seller, code = seller_with_customs_code(live_api)
    order, buyer = paid_order(live_api, seller)

    # then paying drafted the order and the payment slip, in the same transaction
    found = customs_of(live_api, order["id"], seller)
    assert sorted(found) == ["CEB311", "CEB411"]
    for message in found.values():
        assert (message["status"], message["hold_reason"], message["sent_at"]) == ("draft", None, None)
        assert [(e["from_status"], e["to_status"], e["reason"]) for e in message["events"]] == [
            (None, "draft", "drafted")
        ]
        assert len(message["guid"]) == 36 and message["guid"] == message["guid"].upper()
    order_xml = xml_of(live_api, order["id"], "CEB311", seller)
    payment_xml = xml_of(live_api, order["id"], "CEB411", operator)
    assert field(order_xml, HEAD + "orderNo") == f"KJ{order['id']:010d}"
    assert field(order_xml, HEAD + "ebcCode") == code
    assert field(order_xml, HEAD + "ebcName") == "纳帕测试酒庄有限责任公司"
    assert [field(order_xml, HEAD + n) for n in ("goodsValue", "freight", "taxTotal", "discount")] == [
        "426.00",
        "35.50",
        "82.55",
        "0.00",
    ]
    # acturalPaid is goods + freight + tax - discount, and it is the order's total and the payment
    assert field(order_xml, HEAD + "acturalPaid") == "544.05" == field(payment_xml, PAY + "amountPaid")
    assert order["total"] == {"amount": 54405, "currency": "CNY"}
    assert field(order_xml, HEAD + "payTransactionId") == field(payment_xml, PAY + "payTransactionId")
    # what anyone downloads is masked (the buyer's number, name, phone and address)
    assert field(order_xml, HEAD + "consigneeAddress") == "上海市上海市" + "*" * 14
    assert field(order_xml, HEAD + "consigneeTelephone") == "138****8000"
    masked_number = field(order_xml, HEAD + "buyerIdNumber")
    assert masked_number[6:14] == "********" and field(payment_xml, PAY + "payerIdNumber") == masked_number

    # when the exchange runs
    output = exchange(server, database_url)
    # then both are in the outbox, byte for byte as stored, and sent
    assert summary_count(output, "messages sent to the outbox") == 2
    found = customs_of(live_api, order["id"], seller)
    for kind, xml in (("CEB311", order_xml), ("CEB411", payment_xml)):
        sent = (server.customs_outbox / f"{kind}_{found[kind]['guid']}.xml").read_bytes()
        assert messages.masked(sent.decode()).encode() == xml  # customs alone gets it whole
        head = HEAD + "buyerIdNumber" if kind == "CEB311" else PAY + "payerIdNumber"
        assert "*" not in field(sent, head) and field(sent, head)[14:] == masked_number[14:]
        assert found[kind]["status"] == "sent" and found[kind]["sent_at"] is not None
        assert [(e["from_status"], e["to_status"]) for e in found[kind]["events"]] == [
            (None, "draft"),
            ("draft", "sent"),
        ]
    assert list(server.customs_outbox.glob(".sending-*")) == []
    # and each number sent is in the personal-data audit trail, by the platform
    trail = live_api.get(
        "/api/v1/audit/personal-data", params={"user_id": buyer.id}, headers=operator.headers
    ).json()["items"]
    assert sorted((i["purpose"], i["order_id"], i["reason"], i["actor"]) for i in trail) == [
        ("customs_submission", order["id"], f"{kind} {found[kind]['guid']} sent to customs", None)
        for kind in ("CEB311", "CEB411")
    ]

    # when the e-port answers: the order is declaring, then accepted; the payment is rejected;
    # and a garbage file lands in the inbox too
    order_no = f"KJ{order['id']:010d}"
    inbox = server.customs_inbox
    drop(
        inbox,
        f"r-{order['id']}-a.xml",
        receipt_xml(
            "CEB312",
            {
                "guid": found["CEB311"]["guid"],
                "ebpCode": PLATFORM_CODE,
                "ebcCode": code,
                "orderNo": order_no,
                "returnStatus": "120",
                "returnTime": "20261111000200000",
                "returnInfo": "[Code:2600;Desc:海关入库成功]",
            },
        ),
    )
    drop(
        inbox,
        f"r-{order['id']}-b.xml",
        receipt_xml(
            "CEB312",
            {
                "ebpCode": PLATFORM_CODE,
                "orderNo": order_no,
                "returnStatus": "2",
                "returnTime": "20261111000100000",
                "returnInfo": "新增申报成功",
            },
        ),
    )
    drop(
        inbox,
        f"r-{order['id']}-c.xml",
        receipt_xml(
            "CEB412",
            {
                "payCode": PAYMENT_CODE,
                "payTransactionId": field(payment_xml, PAY + "payTransactionId"),
                "returnStatus": "100",
                "returnTime": "20261111000300",
                "returnInfo": "支付人与订购人信息不一致",
            },
        ),
    )
    drop(inbox, f"r-{order['id']}-garbage.xml", b"\x00\x01 not a receipt")
    output = exchange(server, database_url)

    # then
    assert [
        summary_count(output, label) for label in ("accepted", "rejected", "in progress", "set aside")
    ] == [
        1,
        1,
        1,
        1,
    ]
    found = customs_of(live_api, order["id"], operator)
    accepted, rejected = found["CEB311"], found["CEB411"]
    assert (accepted["status"], accepted["receipt_code"], accepted["receipt_note"]) == (
        "accepted",
        "120",
        "[Code:2600;Desc:海关入库成功]",
    )
    assert accepted["answered_at"] == "2026-11-10T16:02:00Z"
    assert [(e["from_status"], e["to_status"], e["reason"], e["actor_id"]) for e in accepted["events"]] == [
        (None, "draft", "drafted", buyer.id),
        ("draft", "sent", "sent", None),
        ("sent", "sent", "receipt 2: 新增申报成功", None),
        ("sent", "accepted", "receipt 120: [Code:2600;Desc:海关入库成功]", None),
    ]
    assert (rejected["status"], rejected["receipt_code"], rejected["receipt_note"]) == (
        "rejected",
        "100",
        "支付人与订购人信息不一致",
    )
    assert [(e["from_status"], e["to_status"]) for e in rejected["events"]][-1] == ("sent", "rejected")
    assert sorted(p.name for p in (inbox / "processed").glob(f"r-{order['id']}-*")) == [
        f"r-{order['id']}-a.xml",
        f"r-{order['id']}-b.xml",
        f"r-{order['id']}-c.xml",
    ]
    assert (inbox / "failed" / f"r-{order['id']}-garbage.xml").exists()
    assert "not well-formed XML" in (inbox / "failed" / f"r-{order['id']}-garbage.xml.reason.txt").read_text()
    assert list(inbox.glob(f"r-{order['id']}-*")) == []

    # when a second, contradicting answer arrives for the accepted order
    drop(
        inbox,
        f"r-{order['id']}-d.xml",
        receipt_xml(
            "CEB312",
            {
                "ebpCode": PLATFORM_CODE,
                "orderNo": order_no,
                "returnStatus": "100",
                "returnTime": "20261111000400",
            },
        ),
    )
    exchange(server, database_url)
    # then it changes nothing and is set aside with its reason
    assert customs_of(live_api, order["id"], operator)["CEB311"] == accepted
    reason = (inbox / "failed" / f"r-{order['id']}-d.xml.reason.txt").read_text()
    assert reason == f"{accepted['guid']} is already accepted; this receipt says rejected\n"

    # when the seller ships: the waybill carries the tracking number as logisticsNo
    tracking = f"SF{order['id']:010d}"
    shipped = live_api.post(
        f"/api/v1/orders/{order['id']}/ship", json={"tracking_number": tracking}, headers=seller.headers
    )
    assert shipped.status_code == 200, shipped.text
    waybill = customs_of(live_api, order["id"], seller)["CEB511"]
    assert waybill["status"] == "draft"
    waybill_xml = xml_of(live_api, order["id"], "CEB511", seller)
    assert [field(waybill_xml, WAYBILL + n) for n in ("logisticsNo", "orderNo", "freight", "weight")] == [
        tracking,
        order_no,
        "35.50",
        "2.800",
    ]
    assert field(waybill_xml, "ceb:BaseTransfer/ceb:copCode") == LOGISTICS_CODE
    exchange(server, database_url)
    sent = (server.customs_outbox / f"CEB511_{waybill['guid']}.xml").read_bytes()
    assert messages.masked(sent.decode()).encode() == waybill_xml
    drop(
        inbox,
        f"r-{order['id']}-e.xml",
        receipt_xml(
            "CEB512",
            {
                "logisticsCode": LOGISTICS_CODE,
                "logisticsNo": tracking,
                "returnStatus": "120",
                "returnTime": "20261113093500",
                "returnInfo": "运单入库成功",
            },
        ),
    )
    exchange(server, database_url)
    waybill = customs_of(live_api, order["id"], seller)["CEB511"]
    assert (waybill["status"], waybill["receipt_note"]) == ("accepted", "运单入库成功")


# live: the operator's `kuajing customs exchange` (a subprocess) must see the committed orders
def test_a_seller_without_a_customs_code_gets_held_drafts_until_it_sets_one(live_api, server, database_url):
    # given a seller with no customs code
    seller = seller_with_profile(live_api, shipping_fee_cents=500)
    order, _ = paid_order(live_api, seller, quantity=1)
    found = customs_of(live_api, order["id"], seller)
    held = "held: the seller has no customs code (ebcCode) yet; set customs_code on the seller profile"
    assert {kind: (m["status"], m["hold_reason"]) for kind, m in found.items()} == {
        "CEB311": ("draft", held),
        "CEB411": ("draft", held),
    }
    assert field(xml_of(live_api, order["id"], "CEB311", seller), HEAD + "ebcCode") == "PENDING"
    # when the exchange runs, nothing of this order is sent
    exchange(server, database_url)
    assert customs_of(live_api, order["id"], seller) == found
    assert not (server.customs_outbox / f"CEB311_{found['CEB311']['guid']}.xml").exists()
    # when the seller saves its customs code
    response = live_api.put(
        "/api/v1/seller/profile",
        json={
            "legal_name": "Test Winery LLC",
            "us_state": "CA",
            "employees": 12,
            "shipping_fee": {"amount": 500, "currency": "USD"},
            "customs_code": "3101969abc",
        },
        headers=seller.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["customs_code"] == "3101969ABC"
    exchange(server, database_url)
    # then the order is built again under the same guid with the real code, and both are sent
    now = customs_of(live_api, order["id"], seller)
    assert {kind: (m["status"], m["hold_reason"], m["guid"]) for kind, m in now.items()} == {
        kind: ("sent", None, found[kind]["guid"]) for kind in ("CEB311", "CEB411")
    }
    order_xml = xml_of(live_api, order["id"], "CEB311", seller)
    assert field(order_xml, HEAD + "ebcCode") == "3101969ABC"
    assert field(order_xml, HEAD + "ebcName") == "Test Winery LLC"
    sent = (server.customs_outbox / f"CEB311_{found['CEB311']['guid']}.xml").read_bytes()
    assert messages.masked(sent.decode()).encode() == order_xml
    assert [e["reason"] for e in now["CEB311"]["events"]] == [
        held,
        "built again with the seller's customs code and released",
        "sent",
    ]


def test_only_the_operator_and_the_owning_seller_see_customs_messages(api, operator_token):
    seller, _ = seller_with_customs_code(api)
    order, buyer = paid_order(api, seller, quantity=1)
    other_seller, _ = seller_with_customs_code(api)
    path = f"/api/v1/orders/{order['id']}/customs"
    for headers, status in (
        (seller.headers, 200),
        (operator_headers(operator_token), 200),
        (buyer.headers, 404),
        (other_seller.headers, 404),
        (register(api, "buyer").headers, 404),
    ):
        for url in (path, f"{path}/CEB311.xml"):
            response = api.get(url, headers=headers)
            assert response.status_code == status, (url, response.text)
            if status == 404:
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json()["code"] == "order_not_found"
    assert api.get(path).status_code == 401


def test_unknown_and_missing_messages_are_stable_problems(api):
    seller, _ = seller_with_customs_code(api)
    order, _ = paid_order(api, seller, quantity=1)
    base = f"/api/v1/orders/{order['id']}/customs"
    for url, code in (
        (f"{base}/CEB999.xml", "unknown_customs_message_type"),
        (f"{base}/CEB621.xml", "unknown_customs_message_type"),
        (f"{base}/CEB511.xml", "customs_message_not_found"),  # not shipped yet
        ("/api/v1/orders/2147483647/customs", "order_not_found"),
    ):
        response = api.get(url, headers=seller.headers)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == code
    # the type is not case sensitive
    assert api.get(f"{base}/ceb311.xml", headers=seller.headers).status_code == 200


def test_an_unpaid_order_has_no_customs_messages(api):
    seller, _ = seller_with_customs_code(api)
    wine = create_product(api, seller)
    order = place(api, buyer_with_identity(api), [(wine["id"], 1)]).json()
    response = api.get(f"/api/v1/orders/{order['id']}/customs", headers=seller.headers)
    assert response.json() == {"order_id": order["id"], "messages": []}


# live: the receipts are applied by the operator's `kuajing customs exchange` (a subprocess)
def test_receipts_for_nothing_of_ours_change_nothing(live_api, server, database_url):
    inbox = server.customs_inbox
    drop(
        inbox,
        "stray-order.xml",
        receipt_xml(
            "CEB312",
            {
                "ebpCode": PLATFORM_CODE,
                "orderNo": "KJ2147483647",
                "returnStatus": "120",
                "returnTime": "20261111000400",
            },
        ),
    )
    drop(
        inbox,
        "other-platform.xml",
        receipt_xml(
            "CEB312",
            {
                "ebpCode": "9999999999",
                "orderNo": "KJ0000000001",
                "returnStatus": "120",
                "returnTime": "20261111000400",
            },
        ),
    )
    drop(
        inbox,
        "order-number-too-big.xml",
        receipt_xml(
            "CEB312",
            {
                "ebpCode": PLATFORM_CODE,
                "orderNo": "KJ9999999999",
                "returnStatus": "120",
                "returnTime": "20261111000400",
            },
        ),
    )
    drop(
        inbox,
        "status-too-long.xml",
        receipt_xml(
            "CEB312",
            {
                "ebpCode": PLATFORM_CODE,
                "orderNo": "KJ0000000001",
                "returnStatus": "-10000000000",
                "returnTime": "20261111000400",
            },
        ),
    )
    exchange(server, database_url)  # exits 0: nothing is left for the next round to trip over
    failed = inbox / "failed"
    assert (failed / "stray-order.xml.reason.txt").read_text() == "no CEB311 matches orderNo KJ2147483647\n"
    assert (failed / "order-number-too-big.xml.reason.txt").read_text() == (
        "orderNo 'KJ9999999999' is not a kuajing order number\n"
    )
    assert (
        failed / "status-too-long.xml.reason.txt"
    ).read_text() == "returnStatus '-10000000000' is out of range\n"
    assert [(inbox / name).exists() for name in ("order-number-too-big.xml", "status-too-long.xml")] == [
        False,
        False,
    ]
    assert (failed / "other-platform.xml.reason.txt").read_text() == (
        f"receipt is for 9999999999, not our {PLATFORM_CODE}\n"
    )
