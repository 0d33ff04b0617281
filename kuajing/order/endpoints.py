from typing import Annotated

from fastapi import APIRouter, Query

from kuajing.auth.dependencies import CurrentPrincipal
from kuajing.kit.ids import IdPath
from kuajing.models import Role
from kuajing.order import service
from kuajing.order.schemas import OrderOut, OrderPage, order_out
from kuajing.order.service import Viewer
from kuajing.order.status import OrderStatus
from kuajing.runtime import SessionDep

router = APIRouter(tags=["orders"])


@router.get("/orders", response_model=OrderPage)
async def list_orders(
    principal: CurrentPrincipal,
    session: SessionDep,
    status: OrderStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> OrderPage:
    orders, next_cursor = await service.list_orders(
        session,
        viewer=Viewer(principal.user_id, principal.role),
        status=status.value if status else None,
        cursor=cursor,
        limit=limit,
    )
    seller = principal.role == Role.seller
    return OrderPage(items=[order_out(o, seller=seller) for o in orders], next_cursor=next_cursor)


@router.get("/orders/{order_id}", response_model=OrderOut)
async def get_order(order_id: IdPath, principal: CurrentPrincipal, session: SessionDep) -> OrderOut:
    order = await service.get_order(
        session, order_id=order_id, viewer=Viewer(principal.user_id, principal.role)
    )
    events = await service.order_events(session, order_id=order.id)
    return order_out(order, events, seller=principal.role == Role.seller)
