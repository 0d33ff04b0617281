"""An Attempt as JSON text: what the Redis ledger keeps in a stream entry, so that any worker
can write the order of an admitted attempt whose worker died before writing it.

Times and decimals are tagged objects ({"$dt": iso} and {"$dec": text}), so they come back as
the same types: the order written from a replay is the order the buyer was priced.
"""

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from kuajing.compliance.year_room import Held
from kuajing.flash_sale.ledger import Attempt, DealFacts, IdempotencyClaim

VERSION = 1


def _tagged(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    raise TypeError(f"cannot encode {type(value).__name__} in an attempt")


def _untagged(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$dt" in obj:
            return datetime.fromisoformat(obj["$dt"])
        if "$dec" in obj:
            return Decimal(obj["$dec"])
    return obj


def dumps(attempt: Attempt) -> str:
    """The attempt without its token (the stream entry carries that beside it)."""
    deal = attempt.deal
    claim = attempt.idempotency
    document = {
        "v": VERSION,
        "deal": {
            "id": deal.id,
            "campaign_id": deal.campaign_id,
            "product_id": deal.product_id,
            "seller_id": deal.seller_id,
            "price_amount": deal.price_amount,
            "per_buyer_limit": deal.per_buyer_limit,
            "starts_at": deal.starts_at,
            "ends_at": deal.ends_at,
        },
        "buyer_id": attempt.buyer_id,
        "quantity": attempt.quantity,
        "id_number": attempt.id_number,
        "limit_year": attempt.limit_year,
        "dutiable": attempt.dutiable,
        "annual_limit": attempt.annual_limit,
        "capped": {prefix: [amount, cap] for prefix, (amount, cap) in attempt.capped.items()},
        "order": attempt.order,
        "lines": attempt.lines,
        "idempotency": None
        if claim is None
        else {"owner": claim.owner, "key": claim.key, "request_hash": claim.request_hash},
        "order_id": attempt.order_id,
        "answer_early": attempt.answer_early,
        "held": None
        if attempt.held is None
        else {"used": attempt.held.used, "quantities": dict(attempt.held.quantities)},
    }
    return json.dumps(document, default=_tagged, ensure_ascii=False, separators=(",", ":"))


def loads(text: str, *, token: str | None) -> Attempt:
    document = json.loads(text, object_hook=_untagged)
    if document.get("v") != VERSION:
        raise ValueError(f"unknown attempt encoding {document.get('v')!r}")
    claim = document["idempotency"]
    return Attempt(
        deal=DealFacts(**document["deal"]),
        buyer_id=document["buyer_id"],
        quantity=document["quantity"],
        id_number=document["id_number"],
        limit_year=document["limit_year"],
        dutiable=document["dutiable"],
        annual_limit=document["annual_limit"],
        capped={prefix: (amount, cap) for prefix, (amount, cap) in document["capped"].items()},
        order=document["order"],
        lines=document["lines"],
        idempotency=None if claim is None else IdempotencyClaim(**claim),
        token=token,
        held=None if document.get("held") is None else Held(**document["held"]),
        order_id=document.get("order_id"),
        answer_early=document.get("answer_early", False),
    )
