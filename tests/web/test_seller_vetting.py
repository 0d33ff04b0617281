"""Vetting in the pages: the operator's review queue and decision form, the seller's approval
page with what is missing and the upload form; both the same service as the API."""

import re

import pytest

from tests.auth.factories import EXAMPLE_PDF, seller_with_profile, upload_document
from tests.conftest import OPERATOR_EMAIL, OPERATOR_PASSWORD
from tests.helpers import visitor
from tests.web.factories import csrf_of, page_text, signed_in


@pytest.fixture
def operator(api, operator_token):
    browser = visitor(api)
    form = browser.get("/login")
    answer = browser.post(
        "/login", data={"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD, "csrf_token": csrf_of(form)}
    )
    assert answer.status_code == 303
    yield browser
    browser.close()


def missing_on(page) -> list[str]:
    return re.findall(r'data-missing="([a-z_]+)"', page.text)


def test_the_operator_reviews_a_pending_seller_from_the_queue(api, operator):
    # given a pending seller who sent their EIN letter
    seller = seller_with_profile(api, approved=False)
    document = upload_document(api, seller, "ein_letter").json()

    # then the queue of pending sellers links to their review
    queue = operator.get("/console/sellers", params={"status": "pending"})
    assert queue.status_code == 200
    assert f'<a href="/console/sellers/{seller.id}">pending</a>' in queue.text
    assert f'href="/console/sellers/{seller.id}"' not in operator.get("/console/sellers?status=approved").text
    review = operator.get(f"/console/sellers/{seller.id}")
    assert review.status_code == 200
    assert missing_on(review) == ["state_registration", "customs_registration"]
    link = f"/console/sellers/{seller.id}/documents/{document['id']}"
    assert link in review.text
    assert (operator.get(link).status_code, operator.get(link).content) == (200, EXAMPLE_PDF)

    # when the operator approves with something missing: refused, on the page
    refused = operator.post(
        f"/console/sellers/{seller.id}/review",
        data={"decision": "approve", "reason": "All good.", "csrf_token": csrf_of(review)},
    )
    assert refused.status_code == 409
    assert "The application is not complete: see what is missing." in page_text(refused.text)

    # when they ask for more instead
    asked = operator.post(
        f"/console/sellers/{seller.id}/review",
        data={
            "decision": "request_info",
            "reason": "Send the state registration.",
            "csrf_token": csrf_of(review),
        },
    )

    # then
    assert (asked.status_code, asked.headers["location"]) == (303, f"/console/sellers/{seller.id}")
    after = operator.get(f"/console/sellers/{seller.id}")
    assert 'data-status="info_requested"' in after.text
    assert "Send the state registration." in after.text
    assert api.get("/api/v1/seller/application", headers=seller.headers).json()["status"] == "info_requested"


def test_pages_for_operators_only(api):
    seller = seller_with_profile(api, approved=False)
    with signed_in(api, seller) as portal:
        assert portal.get(f"/console/sellers/{seller.id}").status_code == 403
    assert visitor(api).get(f"/console/sellers/{seller.id}").status_code == 303  # to sign in


def test_the_seller_sees_their_status_what_is_missing_and_uploads_a_document(api):
    # given a pending seller in the portal
    seller = seller_with_profile(api, approved=False)
    with signed_in(api, seller) as portal:
        page = portal.get("/seller/application")
        assert page.status_code == 200
        assert 'data-status="pending"' in page.text
        assert "Waiting for review: buyers do not see your products yet." in page_text(page.text)
        assert missing_on(page) == ["ein_letter", "state_registration", "customs_registration"]

        # when they upload a file that is not a document: refused, nothing kept
        bad = portal.post(
            "/seller/application/documents",
            data={"kind": "ein_letter", "csrf_token": csrf_of(page)},
            files={"document": ("letter.pdf", b"not a pdf at all", "application/pdf")},
        )
        assert bad.status_code == 422
        assert "Documents must be PDF, PNG or JPEG files." in page_text(bad.text)

        # when they upload their EIN letter
        sent = portal.post(
            "/seller/application/documents",
            data={"kind": "ein_letter", "csrf_token": csrf_of(page)},
            files={"document": ("cp575.pdf", EXAMPLE_PDF, "application/pdf")},
        )

        # then
        assert (sent.status_code, sent.headers["location"]) == (303, "/seller/application")
        after = portal.get("/seller/application")
        assert missing_on(after) == ["state_registration", "customs_registration"]
        found = re.search(r'<a href="(/seller/application/documents/\d+)">cp575.pdf</a>', after.text)
        assert found, "the document is not listed"
        assert portal.get(found.group(1)).content == EXAMPLE_PDF
