"""Declarative base and the portable column types: UTC datetimes, exact decimals, and personal data
sealed at rest (kuajing.sealing)."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import DateTime, MetaData, String, Table, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

from kuajing.sealing import keyring_of

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns aware UTC datetimes on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal kept as its exact text, so SQLite never turns a rate into a float."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect):  # type: ignore[no-untyped-def]
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value: str | None, dialect):  # type: ignore[no-untyped-def]
        return None if value is None else Decimal(value)


class Sealed(TypeDecorator[str]):
    """Text sealed with its table's data key (AES-256-GCM) on the way in, opened on the way out.
    Every write makes a new nonce, so equal values differ in the database: never compare such a
    column in SQL (look a person up by their lookup key instead, kuajing.sealing.person_key)."""

    impl = Text
    cache_ok = True

    def __init__(self, data_key: str) -> None:
        super().__init__()
        self.data_key = data_key

    def process_bind_param(self, value: str | None, dialect):  # type: ignore[no-untyped-def]
        return None if value is None else keyring_of(dialect).seal(self.data_key, value)

    def process_result_value(self, value: str | None, dialect):  # type: ignore[no-untyped-def]
        return None if value is None else keyring_of(dialect).open(value)


class SealedJSON(TypeDecorator[Any]):
    """A JSON document (an address) sealed like Sealed."""

    impl = Text
    cache_ok = True

    def __init__(self, data_key: str) -> None:
        super().__init__()
        self.data_key = data_key

    def process_bind_param(self, value: Any, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        return keyring_of(dialect).seal(self.data_key, json.dumps(value, ensure_ascii=False))

    def process_result_value(self, value: str | None, dialect):  # type: ignore[no-untyped-def]
        return None if value is None else json.loads(keyring_of(dialect).open(value))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)

    if TYPE_CHECKING:
        # SQLAlchemy types a model's __table__ as any FromClause it could be mapped to; every model
        # here is declared with __tablename__, so it is a Table (what kuajing.db's helpers take).
        __table__: ClassVar[Table]
