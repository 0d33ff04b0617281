"""CBEC compliance: the packaged rule data, rule imports and exports, and real-name identity."""

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.audit import service as audit_service
from kuajing.auth import service as auth_service
from kuajing.compliance import repository, rule_files
from kuajing.compliance.errors import (
    ClaimAlreadyHeld,
    ClaimantNotFound,
    IdentityLocked,
    IdentityMissing,
    IdNumberInUse,
    InvalidIdNumberError,
    InvisibleName,
)
from kuajing.compliance.identity import InvalidIdNumber, parse_resident_id
from kuajing.compliance.snapshots import RuleBooks
from kuajing.errors import NotAuthenticated
from kuajing.kit.people_text import InvisibleCharacters, normalised
from kuajing.kit.time import beijing_date, utcnow
from kuajing.models import BuyerIdentity, Role
from kuajing.order import service as order_service
from kuajing.order.errors import OrderNotFound

logger = logging.getLogger(__name__)


async def sync_packaged_rules(session: AsyncSession, *, rules: RuleBooks | None) -> dict[str, int]:
    """Insert the rule rows shipped with this version that the database does not have yet, and
    forget `rules`, this process's copy of the rule book (None: the process keeps none).

    They pass the checks an import does: a packaged row that would overlap a row already in the
    database (an operator's import, say) or start on a day orders were already priced is skipped
    and logged, never written over history.
    """
    latest = await repository.latest_order_time(session)
    last_order_day = beijing_date(latest) if latest is not None else None
    added: dict[str, int] = {}
    skipped = 0
    for spec in rule_files.TABLES.values():
        parsed = rule_files.parse(rule_files.packaged_text(spec))
        existing = await repository.rule_rows(session, spec.name, spec.columns)
        keys = {tuple(row[c] for c in spec.key) for row in existing}
        merged = [(f"database row {row['id']}", row) for row in existing]
        known = set(rule_files.overlaps(spec, merged))
        new = []
        for values, line in zip(parsed.rows, parsed.lines, strict=True):
            if tuple(values[c] for c in spec.key) in keys:
                continue
            where = f"packaged {spec.filename} line {line}"
            reasons = [e for e in rule_files.overlaps(spec, [*merged, (where, values)]) if e not in known]
            if last_order_day is not None and values["effective_from"] <= last_order_day:
                reasons.append(f"it starts on {values['effective_from']}, before orders already priced")
            if reasons:
                logger.warning("skipped %s (%s): %s", where, _label(spec, values), "; ".join(reasons))
                skipped += 1
                continue
            merged.append((where, values))
            new.append(values)
        await repository.write_rule_rows(session, spec.name, added=new, changed={})
        added[spec.name] = len(new)
    if skipped:
        added["skipped_packaged_rules"] = skipped
    if rules is not None:
        rules.forget()
    return added


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
        and await order_service.has_orders(session, buyer_id=user_id)
    ):
        raise IdentityLocked(message="This account has orders; its ID number can no longer change.")
    real_name = _real_name(name)
    holder = await repository.identity_holder(session, resident.number)
    if holder is not None and holder != user_id:
        raise _in_use()
    saved = await repository.save_identity(
        session,
        {
            "user_id": user_id,
            "name": real_name,
            "id_number": resident.number,
            "birth_date": resident.birth_date,
            "verified_at": current.verified_at if current and current.id_number == resident.number else None,
            "updated_at": now,
        },
    )
    if saved is None:  # another account took it between the check and the write
        raise _in_use()
    return saved


def _real_name(name: str) -> str:
    try:
        return normalised(name, what="name")
    except InvisibleCharacters as exc:
        raise InvisibleName(message=str(exc)) from exc


def _in_use() -> IdNumberInUse:
    # Says no more than that the number is taken: not which account, nor since when.
    return IdNumberInUse(
        message="This ID number belongs to another account. If it is yours, ask that account to "
        "release it, or write to the platform's operators to resolve the claim."
    )


async def release_identity(session: AsyncSession, *, user_id: int) -> None:
    """The buyer gives their ID number up, so another account may hold it. Not once the account
    has ordered: its orders were declared under that identity, so an operator decides."""
    if await order_service.has_orders(session, buyer_id=user_id):
        raise IdentityLocked(message="This account has orders; an operator must release its ID number.")
    if not await repository.release_identity(session, user_id):
        raise IdentityMissing(message="No real-name identity on file.")


async def resolve_claim(
    session: AsyncSession,
    *,
    id_number: str,
    to_user_id: int,
    name: str,
    operator_id: int,
    reason: str,
    now: datetime,
) -> int | None:
    """An operator gives an ID number to the buyer account of the person who proved it is theirs,
    taking it from the account holding it, in one transaction: nobody can take it in between.
    The holder's orders keep the identity they were placed under. Written to the audit trail
    with who and why. Answers the account it was taken from, None if none held it (a claim left
    open by migration 0013)."""
    try:
        resident = parse_resident_id(id_number, today=beijing_date(now))
    except InvalidIdNumber as exc:
        raise InvalidIdNumberError(message=str(exc)) from exc
    await _claimant(session, to_user_id)
    current = await repository.get_identity(session, to_user_id)
    if (
        current is not None
        and current.id_number != resident.number
        and await order_service.has_orders(session, buyer_id=to_user_id)
    ):
        raise IdentityLocked(message=f"Account {to_user_id} has ordered under another ID number.")
    holder = await repository.identity_holder(session, resident.number)
    if holder == to_user_id:
        raise ClaimAlreadyHeld(message=f"Account {to_user_id} holds this ID number already.")
    if holder is not None:
        await repository.release_identity(session, holder)
    saved = await repository.save_identity(
        session,
        {
            "user_id": to_user_id,
            "name": _real_name(name),
            "id_number": resident.number,
            "birth_date": resident.birth_date,
            "verified_at": None,
            "updated_at": now,
        },
    )
    assert saved is not None  # the holder's row went in this transaction
    await audit_service.record_reveal(
        session,
        actor_id=operator_id,
        subject_user_id=holder if holder is not None else to_user_id,
        order_id=None,
        purpose="identity_released",
        reason=f"{reason} (given to account #{to_user_id})",
        now=now,
    )
    return holder


async def _claimant(session: AsyncSession, user_id: int) -> None:
    try:
        user = await auth_service.get_user(session, user_id=user_id)
    except NotAuthenticated as exc:
        raise ClaimantNotFound(message=f"There is no account {user_id}.") from exc
    if user.role != Role.buyer:
        raise ClaimantNotFound(message=f"Account {user_id} is not a buyer's.")


async def reveal_order_identity(
    session: AsyncSession, *, order_id: int, operator_id: int, reason: str, now: datetime
) -> tuple[str, str]:
    """(name, full ID number) of an order's buyer, the reveal written to the audit trail."""
    order = await order_service.find_order(session, order_id)
    if order is None:
        raise OrderNotFound(message=f"Order {order_id} does not exist.")
    await audit_service.record_reveal(
        session,
        actor_id=operator_id,
        subject_user_id=order.buyer_id,
        order_id=order.id,
        purpose="operator_reveal",
        reason=reason,
        now=now,
    )
    return order.buyer_name, order.buyer_id_number


async def mark_verified(session: AsyncSession, *, user_id: int, id_number: str, now: datetime) -> None:
    await repository.mark_verified(session, user_id=user_id, id_number=id_number, now=now)


async def get_identity(session: AsyncSession, *, user_id: int) -> BuyerIdentity | None:
    return await repository.get_identity(session, user_id)


@dataclass(frozen=True, slots=True)
class ImportReport:
    table: str
    added: int
    changed: int
    unchanged: int


async def import_rules(
    session: AsyncSession, text: str, *, rules: RuleBooks | None, today: date | None = None
) -> ImportReport:
    """Check a rule file whole against the table as it stands, then write it, or nothing; then
    forget `rules`, this process's copy of the rule book (None: the process keeps none).

    New rows are added and rows not yet in force may be edited; a row in force is history
    (quotes and orders were priced by it), so it only accepts an end date of today or later.
    Rows the file leaves out stay as they are. Raises RuleFileError naming every bad row.
    """
    today = today or beijing_date(utcnow())
    parsed = rule_files.parse(text)
    spec = parsed.spec
    existing = await repository.rule_rows(session, spec.name, spec.columns)
    by_key = {tuple(row[c] for c in spec.key): row for row in existing}
    use = await repository.tax_rule_use(session) if spec.name == "tax_rules" else {}
    latest = await repository.latest_order_time(session)
    last_order_day = beijing_date(latest) if latest is not None else None

    errors: list[str] = []
    added: list[dict[str, Any]] = []
    changed: dict[int, dict[str, Any]] = {}
    merged = {row["id"]: (f"database row {row['id']}", row) for row in existing}
    for values, line in zip(parsed.rows, parsed.lines, strict=True):
        current = by_key.get(tuple(values[c] for c in spec.key))
        if current is None:
            start = values["effective_from"]
            if last_order_day is not None and start <= last_order_day:
                errors.append(
                    f"line {line} ({_label(spec, values)}): a new row from {start} would reprice orders "
                    f"already placed (the latest on {last_order_day}); date it after {last_order_day}"
                )
            added.append(values)
            merged[-line] = (f"line {line}", values)
            continue
        differs = {c for c in spec.columns if values[c] != current[c]}
        if not differs:
            continue
        problem = _frozen_change(current, values, differs, today=today, orders=use.get(current["id"], 0))
        if problem:
            errors.append(f"line {line} ({_label(spec, values)}): {problem}")
        changed[current["id"]] = {c: values[c] for c in differs}
        merged[current["id"]] = (f"line {line}", values)
    errors += rule_files.overlaps(spec, list(merged.values()))
    if errors:
        raise rule_files.RuleFileError(spec.name, errors)
    await repository.write_rule_rows(session, spec.name, added=added, changed=changed)
    if rules is not None:
        rules.forget()
    return ImportReport(spec.name, len(added), len(changed), len(parsed.rows) - len(added) - len(changed))


def _label(spec: rule_files.TableSpec, values: dict[str, Any]) -> str:
    return ", ".join(f"{c}={values[c] if values[c] != '' else '(all)'}" for c in spec.key)


def _frozen_change(
    current: dict[str, Any], values: dict[str, Any], differs: set[str], *, today: date, orders: int
) -> str | None:
    """Why a change to an existing row is refused, or None if it may be made."""
    if current["effective_from"] > today and orders == 0:
        return None  # not in force yet: nothing was priced by it
    used = f" and {orders} order lines used it" if orders else ""
    history = f"the row from {current['effective_from']} has been in force{used}"
    if differs != {"effective_to"}:
        return (
            f"{history}, so {', '.join(sorted(differs))} cannot change; end it and add a new dated row "
            "for the new values"
        )
    old_end, new_end = current["effective_to"], values["effective_to"]
    if old_end is not None and old_end < today:
        return f"{history} and ended on {old_end}; its end date is history"
    if new_end is not None and new_end < today:
        return f"{history}; its end date can be today ({today}) or later, not {new_end}"
    return None


async def export_rules(session: AsyncSession, table: str) -> str:
    spec = rule_files.TABLES[table]
    return rule_files.export_csv(spec, await repository.rule_rows(session, spec.name, spec.columns))
