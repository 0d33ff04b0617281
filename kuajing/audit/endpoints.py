from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from kuajing.audit import service
from kuajing.audit.schemas import ActorOut, AuditEventOut, AuditPageOut, RevealOut, RevealPageOut
from kuajing.auth.dependencies import OperatorPrincipal
from kuajing.kit.ids import MAX_ID
from kuajing.runtime import SessionDep

router = APIRouter(tags=["audit"])

Kind = Literal[service.KINDS]  # type: ignore[valid-type]


def _actor(row: dict[str, Any]) -> ActorOut | None:
    """Who did it, from a row's actor columns; None for the platform itself."""
    if row["actor_id"] is None:
        return None
    return ActorOut(id=row["actor_id"], email=row["actor_email"], role=row["actor_role"])


@router.get("/audit/events", response_model=AuditPageOut)
async def audit_events(
    operator: OperatorPrincipal,
    session: SessionDep,
    kind: Annotated[list[Kind] | None, Query(description="Only these kinds of event.")] = None,
    order_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    actor_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> AuditPageOut:
    """The audit trail, newest first: every order and customs status change with its actor and
    time. Operators only."""
    page = await service.trail(
        session, kinds=kind, order_id=order_id, actor_id=actor_id, cursor=cursor, limit=limit
    )
    return AuditPageOut(
        items=[
            AuditEventOut(
                kind=e["kind"],
                id=e["id"],
                order_id=e["order_id"],
                subject=e["subject"],
                from_status=e["from_status"],
                to_status=e["to_status"],
                actor=_actor(e),
                reason=e["reason"],
                at=e["created_at"],
            )
            for e in page.events
        ],
        next_cursor=page.next_cursor,
    )


@router.get("/audit/personal-data", response_model=RevealPageOut)
async def personal_data_reveals(
    operator: OperatorPrincipal,
    session: SessionDep,
    user_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this buyer's.")] = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RevealPageOut:
    """Every time a buyer's full ID number left the seal (customs messages sent, operators'
    reveals and claim resolutions), newest first. Operators only."""
    rows = await service.reveals(session, subject_user_id=user_id, before_id=before, limit=limit + 1)
    page = rows[:limit]
    return RevealPageOut(
        items=[
            RevealOut(
                id=r["id"],
                purpose=r["purpose"],
                subject_user_id=r["subject_user_id"],
                order_id=r["order_id"],
                actor=_actor(r),
                reason=r["reason"],
                at=r["created_at"],
            )
            for r in page
        ],
        next_cursor=str(page[-1]["id"]) if len(rows) > limit else None,
    )
