from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from kuajing.auth.dependencies import CurrentPrincipal
from kuajing.customs import service
from kuajing.customs.api_schemas import CustomsEventOut, CustomsMessageOut, CustomsMessagesOut
from kuajing.kit.ids import IdPath
from kuajing.runtime import SessionDep

router = APIRouter(tags=["customs"])


@router.get("/orders/{order_id}/customs", response_model=CustomsMessagesOut)
async def list_customs_messages(
    order_id: IdPath, principal: CurrentPrincipal, session: SessionDep
) -> CustomsMessagesOut:
    """The order's CBEC documents (operator and the owning seller only)."""
    views = await service.list_messages(session, order_id=order_id, viewer=principal)
    return CustomsMessagesOut(
        order_id=order_id,
        messages=[
            CustomsMessageOut(
                type=v.message.message_type,
                guid=v.message.guid,
                status=v.message.status,
                hold_reason=v.message.hold_reason,
                created_at=v.message.created_at,
                sent_at=v.message.sent_at,
                answered_at=v.message.answered_at,
                receipt_code=v.message.receipt_code,
                receipt_note=v.message.receipt_note,
                events=[
                    CustomsEventOut(
                        from_status=e.from_status,
                        to_status=e.to_status,
                        actor_id=e.actor_id,
                        reason=e.reason,
                        created_at=e.created_at,
                    )
                    for e in v.events
                ],
            )
            for v in views
        ],
    )


@router.get(
    "/orders/{order_id}/customs/{message_type}.xml",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}, "description": "The message as stored."}},
)
async def get_customs_message_xml(
    order_id: IdPath,
    message_type: Annotated[str, Path(max_length=16, description="CEB311, CEB411 or CEB511.")],
    principal: CurrentPrincipal,
    session: SessionDep,
) -> Response:
    xml = await service.message_xml(session, order_id=order_id, message_type=message_type, viewer=principal)
    return Response(content=xml.encode("utf-8"), media_type="application/xml")
