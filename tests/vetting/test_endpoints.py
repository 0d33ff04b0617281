"""Sellers vetted over HTTP: what a new seller is missing, the operators' decisions with their
reasons and audit trail, who may decide and who may read a document, and bad uploads."""

import pytest

from tests.auth.factories import (
    EXAMPLE_PDF,
    Account,
    buyer_with_identity,
    operator_headers,
    register,
    seller_with_profile,
    upload_document,
)
from tests.catalog.factories import APPLES, create_product
from tests.helpers import assert_problem

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def application(api, seller: Account) -> dict:
    response = api.get("/api/v1/seller/application", headers=seller.headers)
    assert response.status_code == 200, response.text
    return response.json()


def review(api, operator_token: str, seller_id: int, decision: str, reason: str):
    return api.post(
        f"/api/v1/sellers/{seller_id}/review",
        json={"decision": decision, "reason": reason},
        headers=operator_headers(operator_token),
    )


def missing_codes(api, seller: Account) -> list[str]:
    return [m["code"] for m in application(api, seller)["missing"]]


def test_a_new_seller_is_pending_and_sees_what_is_missing_which_grows_with_what_they_list(api):
    # given a seller who gave their profile and EIN but no document
    seller = seller_with_profile(api, approved=False)

    # then
    found = application(api, seller)
    assert (found["status"], found["ein"], found["documents"], found["reason"], found["reviews"]) == (
        "pending",
        "12-3456789",
        [],
        None,
        [],
    )
    assert missing_codes(api, seller) == ["ein_letter", "state_registration", "customs_registration"]
    assert api.get("/api/v1/seller/profile", headers=seller.headers).json()["status"] == "pending"

    # when they list wine and apples, and send a PNG and a JPEG
    create_product(api, seller)
    create_product(api, seller, APPLES)
    assert upload_document(api, seller, "ein_letter", data=PNG).status_code == 201
    sent = upload_document(api, seller, "state_registration", data=JPEG)

    # then
    assert sent.status_code == 201, sent.text
    document = sent.json()
    assert (document["kind"], document["content_type"], document["size_bytes"], document["filename"]) == (
        "state_registration",
        "image/jpeg",
        len(JPEG),
        "state_registration.pdf",
    )
    assert document["url"] == f"/api/v1/sellers/{seller.id}/documents/{document['id']}"
    assert missing_codes(api, seller) == ["customs_registration", "ttb_permit", "fda_facility"]


def test_the_review_flow_with_its_statuses_reasons_and_audit_trail(api, operator_token):
    # given a pending seller
    seller = seller_with_profile(api, approved=False)

    # when the operator asks for more
    asked = review(api, operator_token, seller.id, "request_info", "Send your state registration.")

    # then
    assert (asked.status_code, asked.json()) == (200, {"seller_id": seller.id, "status": "info_requested"})
    found = application(api, seller)
    assert (found["status"], found["reason"]) == ("info_requested", "Send your state registration.")

    # when the seller sends a document: back in the queue
    assert upload_document(api, seller, "state_registration").status_code == 201
    assert application(api, seller)["status"] == "pending"

    # when approved with something still missing: refused, each missing thing named
    refused = assert_problem(
        review(api, operator_token, seller.id, "approve", "Looks fine."), 409, "application_incomplete"
    )
    assert [p["code"] for p in refused["problems"]] == ["ein_letter", "customs_registration"]
    assert application(api, seller)["status"] == "pending"

    # when the rest is sent and the operator approves, then suspends, then rejects
    for kind in ("ein_letter", "customs_registration"):
        assert upload_document(api, seller, kind).status_code == 201
    approved = review(api, operator_token, seller.id, "approve", "EIN letter and registrations checked.")
    assert (approved.status_code, approved.json()) == (200, {"seller_id": seller.id, "status": "approved"})
    suspended = review(api, operator_token, seller.id, "suspend", "Customer complaints under review.")
    assert suspended.json() == {"seller_id": seller.id, "status": "suspended"}
    rejected = review(api, operator_token, seller.id, "reject", "Counterfeit goods found.")
    assert rejected.json() == {"seller_id": seller.id, "status": "rejected"}

    # then a rejection is final
    assert_problem(
        review(api, operator_token, seller.id, "approve", "Try again."), 409, "invalid_seller_transition"
    )
    # and every change is on the record, with who made it and why
    trail = api.get(f"/api/v1/sellers/{seller.id}/reviews", headers=operator_headers(operator_token))
    assert trail.status_code == 200, trail.text
    operator_id = trail.json()["items"][0]["actor_id"]
    assert [
        (r["decision"], r["status_from"], r["status_to"], r["reason"], r["actor_id"])
        for r in trail.json()["items"]
    ] == [
        ("request_info", "pending", "info_requested", "Send your state registration.", operator_id),
        (
            "resubmit",
            "info_requested",
            "pending",
            "The seller sent a document (state_registration).",
            seller.id,
        ),
        ("approve", "pending", "approved", "EIN letter and registrations checked.", operator_id),
        ("suspend", "approved", "suspended", "Customer complaints under review.", operator_id),
        ("reject", "suspended", "rejected", "Counterfeit goods found.", operator_id),
    ]
    assert operator_id != seller.id
    # the seller reads the same decisions and reasons, not who took them
    mine = application(api, seller)
    assert (mine["status"], mine["reason"]) == ("rejected", "Counterfeit goods found.")
    assert [(r["decision"], r["actor_id"]) for r in mine["reviews"]][-1] == ("reject", None)


@pytest.mark.parametrize(
    ("decision", "from_status"),
    [("suspend", "pending"), ("request_info", "approved"), ("approve", "approved")],
)
def test_a_decision_the_status_does_not_allow_is_refused_and_changes_nothing(
    api, operator_token, decision, from_status
):
    seller = seller_with_profile(api, approved=from_status == "approved")
    assert_problem(
        review(api, operator_token, seller.id, decision, "Because."), 409, "invalid_seller_transition"
    )
    assert application(api, seller)["status"] == from_status


def test_only_operators_review_sellers(api, operator_token):
    # given a pending seller, another seller and a buyer
    seller = seller_with_profile(api, approved=False)
    other = seller_with_profile(api)
    buyer = buyer_with_identity(api)
    body = {"decision": "reject", "reason": "Not allowed to decide."}
    path = f"/api/v1/sellers/{seller.id}/review"

    # then
    assert_problem(api.post(path, json=body), 401, "not_authenticated")
    assert_problem(api.post(path, json=body, headers=buyer.headers), 403, "forbidden")
    assert_problem(api.post(path, json=body, headers=seller.headers), 403, "forbidden")
    assert_problem(api.post(path, json=body, headers=other.headers), 403, "forbidden")
    for read in (f"/api/v1/sellers/{seller.id}/reviews", f"/api/v1/sellers/{seller.id}/application"):
        assert_problem(api.get(read, headers=seller.headers), 403, "forbidden")
        assert_problem(api.get(read, headers=buyer.headers), 403, "forbidden")
        assert_problem(api.get(read), 401, "not_authenticated")
    assert application(api, seller)["status"] == "pending"
    assert_problem(api.get("/api/v1/seller/application", headers=buyer.headers), 403, "forbidden")
    # the operator may, and only on a seller that exists, with a known decision and a reason
    ops = operator_headers(operator_token)
    assert_problem(
        api.post("/api/v1/sellers/999999999/review", json=body, headers=ops), 404, "seller_not_found"
    )
    assert_problem(
        api.post(path, json={"decision": "ban", "reason": "x" * 5}, headers=ops), 422, "validation_error"
    )
    assert_problem(
        api.post(path, json={"decision": "reject", "reason": "  "}, headers=ops), 422, "validation_error"
    )
    decided = api.post(path, json=body, headers=ops)
    assert (decided.status_code, decided.json()) == (200, {"seller_id": seller.id, "status": "rejected"})
    operator_view = api.get(f"/api/v1/sellers/{seller.id}/application", headers=ops).json()
    assert (operator_view["status"], operator_view["reason"]) == ("rejected", "Not allowed to decide.")


def test_a_document_is_read_only_by_its_seller_and_operators(api, operator_token):
    # given a seller's document
    seller = seller_with_profile(api, approved=False)
    document = upload_document(api, seller, "ein_letter").json()
    other = seller_with_profile(api)
    buyer = buyer_with_identity(api)
    url = document["url"]

    # then
    assert_problem(api.get(url), 401, "not_authenticated")
    assert_problem(api.get(url, headers=buyer.headers), 403, "forbidden")
    assert_problem(api.get(url, headers=other.headers), 403, "forbidden")
    for headers in (seller.headers, operator_headers(operator_token)):
        read = api.get(url, headers=headers)
        assert (read.status_code, read.content, read.headers["content-type"]) == (
            200,
            EXAMPLE_PDF,
            "application/pdf",
        )
        assert (read.headers["cache-control"], read.headers["x-content-type-options"]) == (
            "private, no-store",
            "nosniff",
        )
        assert (
            read.headers["content-disposition"] == f'attachment; filename="ein_letter-{document["id"]}.pdf"'
        )
    # another seller's path to it, or an id that is not there: not found, even for an operator
    ops = operator_headers(operator_token)
    assert_problem(
        api.get(f"/api/v1/sellers/{other.id}/documents/{document['id']}", headers=ops),
        404,
        "document_not_found",
    )
    assert_problem(
        api.get(f"/api/v1/sellers/{seller.id}/documents/999999999", headers=ops), 404, "document_not_found"
    )
    # and never through the public photos' route
    assert api.get(f"/media/documents/{seller.id}/x.pdf").status_code == 404


@pytest.mark.parametrize(
    ("kind", "data", "status", "code"),
    [
        ("ein_letter", b"GIF89a" + b"\x00" * 32, 422, "unsupported_document"),
        ("ein_letter", b"just text, named .pdf", 422, "unsupported_document"),
        ("ein_letter", b"", 422, "unsupported_document"),
        ("ein_letter", EXAMPLE_PDF + b"\x00" * (10 * 1024 * 1024), 422, "document_too_large"),
        ("ein_letter", EXAMPLE_PDF + b"\x00" * (11 * 1024 * 1024), 413, "document_too_large"),
        ("passport", EXAMPLE_PDF, 422, "unknown_document_kind"),
    ],
)
def test_a_bad_upload_is_refused_and_changes_nothing(api, operator_token, kind, data, status, code):
    seller = seller_with_profile(api, approved=False)
    review(api, operator_token, seller.id, "request_info", "Send your EIN letter.")
    assert_problem(upload_document(api, seller, kind, data=data), status, code)
    found = application(api, seller)
    assert (found["status"], found["documents"], [m["code"] for m in found["missing"]]) == (
        "info_requested",
        [],
        ["ein_letter", "state_registration", "customs_registration"],
    )


def test_a_bad_ein_is_refused_and_the_one_given_kept(api):
    seller = seller_with_profile(api, approved=False)
    body = {
        "legal_name": "Test Winery LLC",
        "us_state": "CA",
        "employees": 12,
        "shipping_fee": {"amount": 500, "currency": "USD"},
    }
    for bad in ("123456789", "12-345678", "AB-1234567", "12 3456789"):
        assert_problem(
            api.put("/api/v1/seller/profile", json={**body, "ein": bad}, headers=seller.headers),
            422,
            "invalid_ein",
        )
    assert application(api, seller)["ein"] == "12-3456789"
    # a seller who has not given one is told so
    fresh = register(api, "seller")
    assert api.put("/api/v1/seller/profile", json=body, headers=fresh.headers).status_code == 200
    assert missing_codes(api, fresh)[0] == "ein"
    assert_problem(
        api.get("/api/v1/seller/application", headers=register(api, "seller").headers),
        409,
        "seller_profile_required",
    )
