"""A seller's money in the portal: what the platform owes them in dollars (pending, available,
paid), each payout, and each payout's statement to the cent (page, CSV and PDF)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kuajing.auth.tokens import Principal
from kuajing.kit.ids import IdPath
from kuajing.kit.time import utcnow
from kuajing.ledger import payouts
from kuajing.ledger import service as ledger_service
from kuajing.ledger import statement_pdf as pdf
from kuajing.runtime import SessionDep
from kuajing.web.access import english, signed_in_seller

router = APIRouter(prefix="/seller", include_in_schema=False)


@router.get("/payouts", response_class=HTMLResponse)
async def payouts_page(request: Request, session: SessionDep) -> Response:
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    context = {
        "balance": await ledger_service.seller_balance(session, seller_id=seller.user_id, now=utcnow()),
        "payouts": await payouts.payouts_of_seller(session, seller_id=seller.user_id),
        "owed": await ledger_service.owed_by_order(session, seller_id=seller.user_id),
        "now": utcnow(),
        "viewer": seller,
    }
    return english(request, "seller/payouts.html", context)


async def _statement(request: Request, session: SessionDep, payout_id: int) -> payouts.Statement | Response:
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    found = await payouts.statement(session, payout_id=payout_id)
    if found is None or found.seller_id != seller.user_id:
        return english(
            request, "error.html", {"status": 404, "code": "not_found", "viewer": seller}, status=404
        )
    return found


@router.get("/payouts/{payout_id}", response_class=HTMLResponse)
async def statement_page(request: Request, payout_id: IdPath, session: SessionDep) -> Response:
    found = await _statement(request, session, payout_id)
    if not isinstance(found, payouts.Statement):
        return found
    return english(request, "seller/statement.html", {"statement": found})


@router.get("/payouts/{payout_id}/statement.pdf")
async def statement_pdf(request: Request, payout_id: IdPath, session: SessionDep) -> Response:
    found = await _statement(request, session, payout_id)
    if not isinstance(found, payouts.Statement):
        return found
    return Response(
        pdf.statement_pdf(found),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="kuajing-payout-{payout_id}.pdf"'},
    )


@router.get("/payouts/{payout_id}/statement.csv")
async def statement_csv(request: Request, payout_id: IdPath, session: SessionDep) -> Response:
    found = await _statement(request, session, payout_id)
    if not isinstance(found, payouts.Statement):
        return found
    return Response(
        payouts.statement_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="kuajing-payout-{payout_id}.csv"'},
    )
