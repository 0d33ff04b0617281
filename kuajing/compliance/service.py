"""CBEC compliance: the packaged rule data, the rule book in force, and real-name identity."""

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance import repository
from kuajing.compliance.errors import InvalidIdNumberError
from kuajing.compliance.identity import InvalidIdNumber, parse_resident_id
from kuajing.compliance.rules import RuleBook, packaged_rows
from kuajing.kit.time import beijing_date, utcnow
from kuajing.kit.ttl_cache import TTLCache
from kuajing.models import BuyerIdentity

# Rules change by data import, so a minute-old rule book is fine; loads are single-flight.
_rulebook: TTLCache[str, RuleBook] = TTLCache(60.0)


async def sync_packaged_rules(session: AsyncSession) -> dict[str, int]:
    """Insert the rule rows shipped with this version that the database does not have yet."""
    pkg = "kuajing.compliance"
    added = {
        "tax_rules": await repository.insert_missing_tax_rules(session, packaged_rows(pkg, "tax_rates.csv")),
        "origin_tariffs": await repository.insert_missing_origin_tariffs(
            session, packaged_rows(pkg, "origin_tariffs.csv")
        ),
        "cbec_limits": await repository.insert_missing_limits(session, packaged_rows(pkg, "cbec_limits.csv")),
    }
    forget_rulebook()
    return added


async def rulebook(session: AsyncSession) -> RuleBook:
    """The rule book in force, reloaded at most once a minute per process."""
    return await _rulebook.get_or_load("rules", lambda: repository.load_rulebook(session))


def forget_rulebook() -> None:
    _rulebook.clear()


async def set_identity(session: AsyncSession, *, user_id: int, name: str, id_number: str) -> BuyerIdentity:
    now = utcnow()
    try:
        resident = parse_resident_id(id_number, today=beijing_date(now))
    except InvalidIdNumber as exc:
        raise InvalidIdNumberError(message=str(exc)) from exc
    identity = BuyerIdentity(
        user_id=user_id,
        name=name.strip(),
        id_number=resident.number,
        birth_date=resident.birth_date,
        updated_at=now,
    )
    return await repository.save_identity(session, identity)


async def get_identity(session: AsyncSession, *, user_id: int) -> BuyerIdentity | None:
    return await repository.get_identity(session, user_id)
