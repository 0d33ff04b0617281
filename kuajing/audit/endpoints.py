from typing import Annotated, Literal

from fastapi import APIRouter, Query

from kuajing.audit import service
from kuajing.audit.schemas import ActorOut, AuditEventOut, AuditPageOut
from kuajing.auth.dependencies import OperatorPrincipal
from kuajing.kit.ids import MAX_ID
from kuajing.runtime import SessionDep

router = APIRouter(tags=["audit"])

Kind = Literal[service.KINDS]  # type: ignore[valid-type]


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
                actor=ActorOut(id=e["actor_id"], email=e["actor_email"], role=e["actor_role"])
                if e["actor_id"] is not None
                else None,
                reason=e["reason"],
                at=e["created_at"],
            )
            for e in page.events
        ],
        next_cursor=page.next_cursor,
    )
