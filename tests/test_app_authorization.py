"""Who may call what: every operation of the API, anonymous and as each role, against the role
each is for. A role an operation is not for is refused 403 `forbidden` before anything is read;
no token at all is 401; the roles it is for get past the door (to a 404 for an order that is not
theirs, a 422 for an empty body — never 401 or 403). A new operation must be added to the table:
the test fails on one it does not know."""

import pytest

from tests.auth.factories import operator_headers, register
from tests.flash_sale.factories import wine_deal

# method and path -> the roles the operation is for: "public" (no token needed), "any" (every
# signed-in role; what each may see is then decided by ownership), or the roles by name.
FOR: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "public",
    ("GET", "/readyz"): "public",
    ("POST", "/api/v1/quotes"): "public",
    ("POST", "/api/v1/orders"): "buyer",
    ("GET", "/api/v1/orders"): "any",
    ("PUT", "/api/v1/fx-rates/{pair}"): "operator",
    ("GET", "/api/v1/fx-rates/{pair}"): "public",
    ("POST", "/api/v1/products"): "seller",
    ("GET", "/api/v1/products"): "public",
    ("GET", "/api/v1/products/{product_id}"): "public",
    ("PATCH", "/api/v1/products/{product_id}"): "seller",
    ("POST", "/api/v1/products/{product_id}/images"): "seller",
    ("GET", "/api/v1/products/{product_id}/images"): "public",
    ("PUT", "/api/v1/products/{product_id}/images/order"): "seller",
    ("DELETE", "/api/v1/products/{product_id}/images/{image_id}"): "seller",
    ("POST", "/api/v1/products/{product_id}/variants"): "seller",
    ("PATCH", "/api/v1/products/{product_id}/variants/{variant_id}"): "seller",
    ("POST", "/api/v1/seller/imports"): "seller",
    ("GET", "/api/v1/seller/imports/{import_id}"): "seller",
    ("POST", "/api/v1/seller/imports/{import_id}/run"): "seller",
    ("GET", "/api/v1/seller/imports/{import_id}/report.csv"): "seller",
    ("POST", "/api/v1/campaigns"): "operator",
    ("POST", "/api/v1/campaigns/{campaign_id}/deals"): "seller",
    ("GET", "/api/v1/deals/{deal_id}"): "public",
    ("GET", "/api/v1/campaigns/{campaign_id}/stats"): "public",
    ("POST", "/api/v1/deals/{deal_id}/purchase"): "buyer",
    ("GET", "/api/v1/orders/{order_id}"): "any",
    ("POST", "/api/v1/orders/{order_id}/pay"): "buyer",
    ("POST", "/api/v1/orders/{order_id}/cancel"): "any",
    ("POST", "/api/v1/orders/{order_id}/ship"): "any",
    ("POST", "/api/v1/orders/{order_id}/deliver"): "any",
    ("POST", "/api/v1/orders/{order_id}/return"): "buyer",
    ("POST", "/api/v1/orders/{order_id}/return/accept"): "seller operator",
    ("POST", "/api/v1/orders/{order_id}/return/reject"): "seller operator",
    ("POST", "/api/v1/orders/{order_id}/payments"): "buyer",
    ("GET", "/api/v1/orders/{order_id}/payments"): "any",
    ("GET", "/api/v1/payments/notifications"): "operator",
    ("GET", "/api/v1/payments/{payment_id}"): "any",
    ("GET", "/api/v1/payments/{payment_id}/qr.svg"): "any",
    ("POST", "/api/v1/payments/{payment_id}/query"): "buyer operator",
    ("POST", "/api/v1/payments/{payment_id}/sandbox-pay"): "buyer",
    ("POST", "/api/v1/payments/alipay/notify"): "public",
    ("POST", "/api/v1/payments/wechatpay/notify"): "public",
    ("POST", "/api/v1/orders/{order_id}/refunds"): "seller operator",
    ("GET", "/api/v1/orders/{order_id}/refunds"): "any",
    ("GET", "/api/v1/ledger/trial-balance"): "operator",
    ("GET", "/api/v1/ledger/accounts/{code}"): "operator",
    ("GET", "/api/v1/ledger/orders/{order_id}"): "operator",
    ("GET", "/api/v1/seller/balance"): "seller",
    ("POST", "/api/v1/payouts/run"): "operator",
    ("GET", "/api/v1/payouts/batches/{batch_id}/bank-file"): "operator",
    ("GET", "/api/v1/seller/payouts"): "seller",
    ("GET", "/api/v1/seller/payouts/{payout_id}"): "seller",
    ("GET", "/api/v1/seller/payouts/{payout_id}/statement.csv"): "seller",
    ("POST", "/api/v1/auth/register"): "public",
    ("POST", "/api/v1/auth/token"): "public",
    ("DELETE", "/api/v1/auth/token"): "any",
    ("GET", "/api/v1/auth/tokens"): "any",
    ("DELETE", "/api/v1/auth/tokens/{token_id}"): "any",
    ("GET", "/api/v1/me"): "any",
    ("GET", "/api/v1/risk-notice"): "public",
    ("GET", "/api/v1/buyer/identity"): "buyer",
    ("PUT", "/api/v1/buyer/identity"): "buyer",
    ("DELETE", "/api/v1/buyer/identity"): "buyer",
    ("POST", "/api/v1/identities/release"): "operator",
    ("POST", "/api/v1/orders/{order_id}/buyer-identity/reveal"): "operator",
    ("GET", "/api/v1/seller/profile"): "seller",
    ("PUT", "/api/v1/seller/profile"): "seller",
    ("GET", "/api/v1/seller/application"): "seller",
    ("POST", "/api/v1/seller/documents"): "seller",
    ("GET", "/api/v1/sellers/{seller_id}/application"): "operator",
    ("POST", "/api/v1/sellers/{seller_id}/review"): "operator",
    ("GET", "/api/v1/sellers/{seller_id}/reviews"): "operator",
    ("GET", "/api/v1/sellers/{seller_id}/documents/{document_id}"): "operator",  # and its own seller
    ("GET", "/api/v1/impact/jobs"): "operator",
    ("GET", "/api/v1/audit/events"): "operator",
    ("GET", "/api/v1/audit/personal-data"): "operator",
    ("GET", "/api/v1/orders/{order_id}/customs"): "any",
    ("GET", "/api/v1/orders/{order_id}/customs/{message_type}.xml"): "any",
}
ROLES = ("buyer", "seller", "operator")
PATH_VALUES = {"pair": "USD-CNY", "code": "cash", "message_type": "CEB311"}
# Bodies that pass validation, for the operations that read their body before their caller's
# role (the flash-sale purchase checks it first, cheaply); every other operation gets {}.
BODIES = {
    ("POST", "/api/v1/deals/{deal_id}/purchase"): {"quantity": 1, "risk_notice_accepted": True},
    ("POST", "/api/v1/orders/{order_id}/ship"): {"tracking_number": "SF0000000001"},
    ("POST", "/api/v1/orders/{order_id}/refunds"): {"reason": "broken in transit"},
    ("POST", "/api/v1/orders/{order_id}/return/reject"): {"reason": "opened and drunk"},
}
# Signing out ends the token the rest of the table is called with: called last.
LAST = ("DELETE", "/api/v1/auth/token")


def _operations(api) -> list[tuple[str, str]]:
    schema = api.get("/openapi.json").json()
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _url(path: str, values: dict[str, str]) -> str:
    for name, value in {**PATH_VALUES, **values}.items():
        path = path.replace("{" + name + "}", value)
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + "2147483000" + path[end + 1 :]
    return path


def test_every_operation_is_in_the_table(api):
    assert sorted(_operations(api)) == sorted(FOR)


@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_each_role_is_let_in_where_it_belongs_and_refused_elsewhere(api, operator_token, role):
    headers = {} if role == "anonymous" else operator_headers(operator_token)
    if role in ("buyer", "seller"):
        headers = register(api, role).headers
    # a live deal, so the purchase reaches the caller's role (a missing deal is 404 for anyone)
    _seller, _wine, campaign, deal = wine_deal(api, operator_token)
    live = {"deal_id": str(deal["id"]), "campaign_id": str(campaign["id"])}
    wrong = []
    for (method, path), meant_for in sorted(FOR.items(), key=lambda item: item[0] == LAST):
        response = api.request(method, _url(path, live), headers=headers, json=BODIES.get((method, path), {}))
        status = response.status_code
        if role == "anonymous":
            expected = "not 401/403" if meant_for == "public" else "401"
        else:
            allowed = meant_for in ("public", "any") or role in meant_for.split()
            expected = "not 401/403" if allowed else "403"
        got_ok = (status not in (401, 403)) if expected == "not 401/403" else str(status) == expected
        if status >= 500 or not got_ok:
            wrong.append((method, path, status, expected, response.text[:120]))
        elif expected == "403":
            assert response.json()["code"] in ("forbidden", "not_allowed"), (method, path)
    assert wrong == [], "\n".join(map(str, wrong))
