"""Rule data for tests: import through the service, or place rows that took effect in the past
(as the packaged loader does) where a test needs a rule in force today."""

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance import repository
from kuajing.compliance import service as compliance_service
from kuajing.compliance.rule_files import TABLES
from kuajing.compliance.snapshots import RuleBooks
from kuajing.kit.time import BEIJING, beijing_date, utcnow
from tests.helpers import Target, in_db
from tests.in_process import InProcessApp

PAST = date(2019, 1, 1)


def import_rules(target: Target, text: str, **options: Any) -> compliance_service.ImportReport:
    """Import through the service; in process, the app's rule book is the one forgotten."""
    rules = target.runtime.get(RuleBooks) if isinstance(target, InProcessApp) else None
    return in_db(
        target, lambda session: compliance_service.import_rules(session, text, rules=rules, **options)
    )


def export_all(target: Target) -> dict[str, str]:
    async def work(session: AsyncSession) -> dict[str, str]:
        return {name: await compliance_service.export_rules(session, name) for name in TABLES}

    return in_db(target, work, write=False)


def add_rows(target: Target, table: str, rows: list[dict[str, Any]]) -> None:
    """Write rule rows straight to the table (as the packaged loader does), skipping any whose
    key is there already, so tests sharing a database can each ask for the rows they need."""
    spec = TABLES[table]

    async def work(session: AsyncSession) -> None:
        existing = {
            tuple(r[c] for c in spec.key) for r in await repository.rule_rows(session, table, spec.columns)
        }
        new = [row for row in rows if tuple(row[c] for c in spec.key) not in existing]
        await repository.write_rule_rows(session, table, added=new, changed={})

    in_db(target, work)


def tax_row(prefix: str, vat: str = "0.13", *, start: date = PAST, end: date | None = None) -> dict[str, Any]:
    from decimal import Decimal

    return {
        "hs_prefix": prefix,
        "name_en": f"Test line {prefix}",
        "name_zh": f"测试税号{prefix}",
        "vat_rate": Decimal(vat),
        "consumption_tax_rate": Decimal(0),
        "mfn_tariff_rate": Decimal(0),
        "effective_from": start,
        "effective_to": end,
        "source": "test fixture",
        "remarks": "",
    }


def list_row(prefix: str, *, start: date = PAST, **remarks: Any) -> dict[str, Any]:
    return {
        "hs_prefix": prefix,
        "name_en": f"Test line {prefix}",
        "name_zh": f"测试税号{prefix}",
        "bonded_only": False,
        "excluded": False,
        "yearly_cap": None,
        "yearly_cap_unit": None,
        "effective_from": start,
        "effective_to": None,
        "source": "test fixture",
        "remarks": "",
        **remarks,
    }


def beijing_today() -> date:
    return beijing_date(utcnow())


def beijing_moment(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=BEIJING)


def days(n: int) -> timedelta:
    return timedelta(days=n)
