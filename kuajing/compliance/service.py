"""CBEC compliance: the packaged rule data, the rule book in force, and real-name identity."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance import repository
from kuajing.compliance.errors import IdentityLocked, InvalidIdNumberError
from kuajing.compliance.identity import InvalidIdNumber, parse_resident_id
from kuajing.compliance.rules import RuleBook, packaged_rows, typed
from kuajing.kit.time import beijing_date, utcnow
from kuajing.kit.ttl_cache import TTLCache
from kuajing.models import BuyerIdentity, CbecLimit, OriginTariff, TaxRule
from kuajing.order import repository as order_repository

# Rules change by data import, so a minute-old rule book is fine; loads are single-flight.
_rulebook: TTLCache[str, RuleBook] = TTLCache(60.0)


async def sync_packaged_rules(session: AsyncSession) -> dict[str, int]:
    """Insert the rule rows shipped with this version that the database does not have yet."""

    def rows(filename: str) -> list[dict[str, Any]]:
        return [typed(row) for row in packaged_rows("kuajing.compliance", filename)]

    added = {
        "tax_rules": await repository.insert_missing(
            session, TaxRule, rows("tax_rates.csv"), key=("hs_prefix", "effective_from")
        ),
        "origin_tariffs": await repository.insert_missing(
            session, OriginTariff, rows("origin_tariffs.csv"), key=("origin", "hs_prefix", "effective_from")
        ),
        "cbec_limits": await repository.insert_missing(
            session, CbecLimit, rows("cbec_limits.csv"), key=("effective_from",)
        ),
    }
    forget_rulebook()
    return added


async def rulebook(session: AsyncSession) -> RuleBook:
    """The rule book in force, reloaded at most once a minute per process."""
    return await _rulebook.get_or_load("rules", lambda: repository.load_rulebook(session))


def forget_rulebook() -> None:
    _rulebook.clear()


async def set_identity(session: AsyncSession, *, user_id: int, name: str, id_number: str) -> BuyerIdentity:
    """Save the buyer's real name and ID. Once the account has ordered, the ID number is fixed:
    the yearly limit is counted per ID, so switching IDs would open fresh room."""
    now = utcnow()
    try:
        resident = parse_resident_id(id_number, today=beijing_date(now))
    except InvalidIdNumber as exc:
        raise InvalidIdNumberError(message=str(exc)) from exc
    current = await repository.get_identity(session, user_id)
    if (
        current is not None
        and current.id_number != resident.number
        and await order_repository.has_orders(session, buyer_id=user_id)
    ):
        raise IdentityLocked(message="This account has orders; its ID number can no longer change.")
    return await repository.save_identity(
        session,
        {
            "user_id": user_id,
            "name": name.strip(),
            "id_number": resident.number,
            "birth_date": resident.birth_date,
            "updated_at": now,
        },
    )


async def get_identity(session: AsyncSession, *, user_id: int) -> BuyerIdentity | None:
    return await repository.get_identity(session, user_id)
