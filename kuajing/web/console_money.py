"""The operator console's books: the trial balance, an account's lines, the notifications the
payment providers sent (refused ones first to look at), and payouts — a button that runs them
and each batch's file for the bank."""

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from kuajing.auth.tokens import Principal
from kuajing.kit.ids import IdPath
from kuajing.kit.time import utcnow
from kuajing.ledger import payouts
from kuajing.ledger import service as ledger_service
from kuajing.ledger.accounts import CHART
from kuajing.models import Role
from kuajing.payment import service as payment_service
from kuajing.runtime import SessionDep, SettingsDep
from kuajing.web.access import cents, dollars_typed, signed_in_as
from kuajing.web.console_people import named
from kuajing.web.session import check_csrf
from kuajing.web.templates import render

router = APIRouter(prefix="/console", include_in_schema=False)
FormText = Annotated[str, Form(max_length=300)]


def _show(
    request: Request, name: str, context: Mapping[str, Any], principal: Principal, status: int = 200
) -> Response:
    return render(request, name, {**context, "viewer": principal}, status=status, default_locale="en")


@router.get("/ledger", response_class=HTMLResponse)
async def ledger(request: Request, session: SessionDep) -> Response:
    principal = await signed_in_as(request, session, Role.operator)
    if not isinstance(principal, Principal):
        return principal
    rows = await ledger_service.trial_balance(session)
    totals: dict[str, list[int]] = {}
    for row in rows:
        pair = totals.setdefault(row.currency, [0, 0])
        pair[0] += row.debit
        pair[1] += row.credit
    context = {
        "rows": rows,
        "totals": totals,
        "chart": CHART,
        "refused": await payment_service.notifications(session, outcome="refused", limit=20),
    }
    return _show(request, "console/ledger.html", context, principal)


@router.get("/ledger/accounts/{code}", response_class=HTMLResponse)
async def account(
    request: Request,
    code: str,
    session: SessionDep,
    party: Annotated[str | None, Query(max_length=40)] = None,
    after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Response:
    principal = await signed_in_as(request, session, Role.operator)
    if not isinstance(principal, Principal):
        return principal
    if code not in CHART:
        return _show(request, "error.html", {"status": 404, "code": "not_found"}, principal, status=404)
    lines = await ledger_service.account_lines(session, account=code, party=party, after_id=after, limit=101)
    more = len(lines) > 100
    lines = lines[:100]
    context = {
        "account": CHART[code],
        "party": party,
        "people": await named(session, sellers=[int(line.party) for line in lines if line.party.isdigit()]),
        "lines": lines,
        "next_after": lines[-1].entry_id if more and lines else None,
    }
    return _show(request, "console/ledger_account.html", context, principal)


async def _payouts_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    *,
    typed: str,
    error: str | None = None,
    ran: payouts.BatchResult | None = None,
) -> Response:
    context = {
        "batches": await payouts.batches(session),
        "typed": typed,
        "error": error,
        "ran": ran,
    }
    return _show(request, "console/payouts.html", context, principal, status=422 if error else 200)


@router.get("/payouts", response_class=HTMLResponse)
async def payouts_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    principal = await signed_in_as(request, session, Role.operator)
    if not isinstance(principal, Principal):
        return principal
    return await _payouts_page(
        request, session, principal, typed=dollars_typed(settings.payout_minimum_cents)
    )


@router.post("/payouts", response_class=HTMLResponse)
async def run_payouts(
    request: Request, session: SessionDep, csrf_token: FormText, minimum: FormText
) -> Response:
    """The button: pay every seller whose available dollars reach the typed minimum."""
    check_csrf(request, csrf_token)
    principal = await signed_in_as(request, session, Role.operator)
    if not isinstance(principal, Principal):
        return principal
    typed = cents(minimum)
    if typed is None or typed > 100_000_000:
        return await _payouts_page(request, session, principal, typed=minimum, error="invalid_price")
    result = await payouts.run_payouts(
        session, now=utcnow(), minimum_usd=typed, actor_id=principal.user_id, rail=payouts.BankFileRail()
    )
    return await _payouts_page(request, session, principal, typed=dollars_typed(typed), ran=result)


@router.get("/payouts/{batch_id}/bank-file.csv")
async def bank_file(request: Request, batch_id: IdPath, session: SessionDep) -> Response:
    principal = await signed_in_as(request, session, Role.operator)
    if not isinstance(principal, Principal):
        return principal
    batch = await payouts.find_batch(session, batch_id)
    if batch is None:
        return _show(request, "error.html", {"status": 404, "code": "not_found"}, principal, status=404)
    name, content = await payouts.bank_file(session, batch, payouts.BankFileRail())
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
