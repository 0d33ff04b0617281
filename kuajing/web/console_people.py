"""How the operators' pages name the people on them: a buyer by name and email, a seller by its
business's legal name, each with the id beside it (what the API and the logs say)."""

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth import service as auth_service
from kuajing.seller import service as seller_service


async def named(
    session: AsyncSession, *, users: Iterable[int | None] = (), sellers: Iterable[int] = ()
) -> dict[int, str]:
    """User id -> how the page names them; an id not found is left out (the page shows the id)."""
    seller_ids = set(sellers)
    user_ids = {user_id for user_id in users if user_id is not None} | seller_ids
    people = await auth_service.people(session, sorted(user_ids))
    names = {user_id: f"{name} <{email}>" for user_id, (name, email) in people.items()}
    names |= await seller_service.legal_names(session, seller_ids)
    return names
