"""Property-based fuzzing from the app's own OpenAPI schema: no input a client can send gives a 5xx."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.auth.factories import buyer_with_identity, operator_headers, seller_with_profile
from tests.catalog.factories import create_product

# Per role and operation: at ~80 operations, over 1,000 requests per role.
EXAMPLES_PER_OPERATION = 14
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def role_headers(live_api, operator_token):
    # live: the fuzzer sends its requests to a real server over HTTP
    seller = seller_with_profile(live_api)
    create_product(live_api, seller)
    return {
        "buyer": buyer_with_identity(live_api).headers,
        "seller": seller.headers,
        "operator": operator_headers(operator_token),
        "revocable": buyer_with_identity(live_api).headers,
    }


ROLES = ("buyer", "seller", "operator")
OPERATIONS = 79
# Signing out, whichever session: with a token of its own (another account), so the role's
# token keeps working for the rest of the run.
REVOKING = {("DELETE", "/api/v1/auth/token"), ("DELETE", "/api/v1/auth/tokens/{token_id}")}


def _said(exc: BaseException) -> str:
    """A failure's own words, a group's each (schemathesis groups an operation's failures)."""
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_said(inner) for inner in exc.exceptions)
    return f"{type(exc).__name__}: {str(exc).strip()[:400]}"


def _fuzz(operation, headers, calls):
    """A hypothesis test for one operation; `calls` counts the requests it really sends."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=operation.as_strategy())
    def exercise(case):
        calls.append(1)
        case.call_and_validate(headers=headers, checks=CHECKS)

    return exercise


@pytest.mark.parametrize("role", ROLES)
def test_no_input_gives_a_server_error_and_every_answer_is_as_documented(server, role_headers, role):
    """Every operation as each role: no 5xx, and each answer's status, media type and body are
    the ones the OpenAPI document declares (problem+json for every refusal)."""
    # schemathesis' pytest plugin does not load under pytest 9, so the operations are driven
    # through its strategies with hypothesis directly; the generation and checks are the same.
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == OPERATIONS  # every operation in the schema was loaded and exercised
    failures = []
    calls: list[int] = []
    for operation in operations:
        mine = (operation.method.upper(), operation.path) not in REVOKING
        headers = role_headers[role if mine else "revocable"]
        try:
            _fuzz(operation, headers, calls)()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failures, reported together
            failures.append(f"{operation.method.upper()} {operation.path}: {_said(exc)}")
    assert failures == [], "\n\n".join(failures)
    assert len(calls) >= 1000  # the run really exercised the API as this role
