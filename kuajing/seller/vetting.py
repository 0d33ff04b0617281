"""Vetting a seller: what they gave for it (the EIN, their business documents), what is still
missing, and the decisions on them, each recorded (seller_reviews) with who took it and why.

The status machine is kuajing.seller.status; what is required is kuajing.seller.requirements.
The documents' bytes are kept by the caller (kuajing.vetting): this module records them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.models import SellerDocument, SellerProfile, SellerReview
from kuajing.seller import repository
from kuajing.seller.documents import Checked
from kuajing.seller.errors import ApplicationIncomplete, SellerNotFound
from kuajing.seller.requirements import Missing, missing
from kuajing.seller.snapshots import SellerSnapshots
from kuajing.seller.status import Decision, InvalidSellerTransition, SellerStatus, next_status


@dataclass(frozen=True, slots=True)
class Application:
    """A seller's application as the seller and the operators read it."""

    profile: SellerProfile
    documents: list[SellerDocument]  # every upload, the oldest first
    missing: list[Missing]
    reviews: list[SellerReview]  # every status change, the oldest first

    @property
    def current(self) -> list[SellerDocument]:
        """The newest document of each kind, the newest first."""
        newest: dict[str, SellerDocument] = {}
        for document in self.documents:
            newest[document.kind] = document
        return sorted(newest.values(), key=lambda d: d.id, reverse=True)

    @property
    def last_review(self) -> SellerReview | None:
        return self.reviews[-1] if self.reviews else None


async def _missing(
    session: AsyncSession, profile: SellerProfile, documents: Sequence[SellerDocument]
) -> list[Missing]:
    return missing(
        ein=profile.ein,
        customs_code=profile.customs_code,
        documents={d.kind for d in documents},
        categories=await repository.listed_categories(session, profile.user_id),
    )


async def application(session: AsyncSession, *, seller_id: int) -> Application:
    """The seller's application; SellerNotFound if they have no profile."""
    profile = await repository.get_profile(session, seller_id)
    if profile is None:
        raise SellerNotFound(message=f"No seller {seller_id} with a profile.")
    documents = await repository.documents_of(session, seller_id)
    return Application(
        profile,
        documents,
        await _missing(session, profile, documents),
        await repository.reviews_of(session, seller_id),
    )


async def _move(
    session: AsyncSession,
    sellers: SellerSnapshots,
    profile: SellerProfile,
    *,
    decision: Decision,
    target: SellerStatus,
    reason: str,
    actor_id: int,
    now: datetime,
) -> None:
    was = profile.status
    if not await repository.move_status(session, seller_id=profile.user_id, was=was, to=target.value):
        raise InvalidSellerTransition(message="The seller's status changed meanwhile; look again.")
    await repository.add_review(
        session,
        SellerReview(
            seller_id=profile.user_id,
            decision=decision.value,
            status_from=was,
            status_to=target.value,
            reason=reason,
            actor_id=actor_id,
            created_at=now,
        ),
    )
    await session.refresh(profile, ["status"])
    sellers.forget(profile.user_id)


async def decide(
    session: AsyncSession,
    sellers: SellerSnapshots,
    *,
    seller_id: int,
    decision: Decision,
    reason: str,
    actor_id: int,
    now: datetime,
) -> SellerProfile:
    """An operator's decision on a seller, recorded with `reason`. Refused: a decision the
    seller's status does not allow (invalid_seller_transition), or approving an application with
    something missing (application_incomplete, each thing missing listed in `problems`)."""
    profile = await repository.lock_profile(session, seller_id)
    if profile is None:
        raise SellerNotFound(message=f"No seller {seller_id} with a profile.")
    target = next_status(profile.status, decision)
    if decision is Decision.approve:
        gaps = await _missing(session, profile, await repository.documents_of(session, seller_id))
        if gaps:
            raise ApplicationIncomplete(
                message=f"The application is still missing: {', '.join(g.code for g in gaps)}.",
                problems=[{"code": gap.code, "message": gap.message} for gap in gaps],
            )
    await _move(
        session, sellers, profile, decision=decision, target=target, reason=reason, actor_id=actor_id, now=now
    )
    return profile


async def resubmit_if_asked(
    session: AsyncSession, sellers: SellerSnapshots, *, seller_id: int, sent: str, now: datetime
) -> None:
    """A seller asked for more sent something (`sent`, in words): their application is back in
    the operators' queue."""
    profile = await repository.lock_profile(session, seller_id)
    if profile is None or profile.status != SellerStatus.info_requested:
        return
    await _move(
        session,
        sellers,
        profile,
        decision=Decision.resubmit,
        target=next_status(profile.status, Decision.resubmit),
        reason=f"The seller sent {sent}.",
        actor_id=seller_id,
        now=now,
    )


async def add_document(
    session: AsyncSession,
    sellers: SellerSnapshots,
    *,
    seller_id: int,
    kind: str,
    checked: Checked,
    size_bytes: int,
    storage_key: str,
    now: datetime,
) -> SellerDocument:
    """Record a document the caller has stored; it stands in for any older one of its kind."""
    document = await repository.add_document(
        session,
        SellerDocument(
            seller_id=seller_id,
            kind=kind,
            filename=checked.filename,
            content_type=checked.content_type,
            size_bytes=size_bytes,
            storage_key=storage_key,
            uploaded_at=now,
        ),
    )
    await resubmit_if_asked(session, sellers, seller_id=seller_id, sent=f"a document ({kind})", now=now)
    return document


async def get_document(session: AsyncSession, *, seller_id: int, document_id: int) -> SellerDocument | None:
    """The seller's document with this id; None if there is none, or it is another seller's."""
    document = await repository.get_document(session, document_id)
    return document if document is not None and document.seller_id == seller_id else None
