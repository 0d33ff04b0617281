"""Personal data sealed at rest (kuajing.sealing).

- `data_keys`: a data key per table with personal data and one for lookup keys, each wrapped by
  the key-encryption key from KUAJING_SECRET_KEY (or KUAJING_KEY_FILE). Made here if missing.
- Sealed in place (the columns become text): users.name; buyer_identities.name and id_number;
  orders.buyer_name, buyer_id_number and shipping_address; customs_messages.xml (it carries the
  buyer's name and ID number); payment_notifications.body.
- The yearly counters are keyed by the ID number's lookup key (HMAC), `person_key`, not the number.
- buyer_identities.person_key, unique: one person's number, one account. Where two accounts held
  the same number, the one that ordered under it keeps it (else the one whose identity changed
  least recently); the others' claims wait for an operator (person_key null: they cannot order
  until then), and the migration logs their account ids. buyer_identities.verified_at: when a payment
  company confirmed the payer was this person.
- `personal_data_reveals`: who took a full ID number out of the seal, and why.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 09:00:00.000000
"""

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

from kuajing.sealing import Keyring, MasterKeys, is_sealed, load_data_keys, read_data_keys
from kuajing.settings import get_settings

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger(__name__)
BATCH = 1000
# table -> (its key columns, the columns sealed); shipping_address is JSON sealed as its text
SEALED_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "users": (("id",), ("name",)),
    "buyer_identities": (("user_id",), ("name", "id_number")),
    "orders": (("id",), ("buyer_name", "buyer_id_number", "shipping_address")),
    "customs_messages": (("id",), ("xml",)),
    "payment_notifications": (("id",), ("body",)),
}
# the columns' types before: what downgrade gives back
PLAIN_TYPES: dict[tuple[str, str], sa.types.TypeEngine[Any]] = {
    ("users", "name"): sa.String(100),
    ("buyer_identities", "name"): sa.String(60),
    ("buyer_identities", "id_number"): sa.String(18),
    ("orders", "buyer_name"): sa.String(60),
    ("orders", "buyer_id_number"): sa.String(18),
    ("orders", "shipping_address"): sa.JSON(),
}
COUNTERS = ("annual_usage", "annual_quantity_usage")


def _master_keys() -> MasterKeys:
    config = op.get_context().config
    given = config.attributes.get("master_keys") if config is not None else None
    return given if isinstance(given, MasterKeys) else get_settings().master_keys()


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _retype(table: str, column: str, new: sa.types.TypeEngine[Any], old: sa.types.TypeEngine[Any]) -> None:
    using = f"{column}::{new.compile(dialect=op.get_bind().dialect)}" if _is_postgresql() else None
    with op.batch_alter_table(table) as batch_op:
        batch_op.alter_column(column, type_=new, existing_type=old, postgresql_using=using)


def _rewrite(connection: Connection, table: str, change: Callable[[str, Any], Any]) -> int:
    """Apply `change(column, value)` to every sealed column of every row, in batches by key."""
    keys, columns = SEALED_COLUMNS[table]
    key = keys[0]
    done, after = 0, None
    while True:
        query = f"SELECT {key}, {', '.join(columns)} FROM {table}"
        query += f" WHERE {key} > :after" if after is not None else ""
        rows = connection.execute(sa.text(f"{query} ORDER BY {key} LIMIT {BATCH}"), {"after": after}).all()
        if not rows:
            return done
        for row in rows:
            values = {column: change(column, value) for column, value in zip(columns, row[1:], strict=True)}
            assignments = ", ".join(f"{column} = :{column}" for column in columns)
            connection.execute(
                sa.text(f"UPDATE {table} SET {assignments} WHERE {key} = :key"), {**values, "key": row[0]}
            )
        done += len(rows)
        after = rows[-1][0]


def _sealer(keyring: Keyring, table: str) -> Callable[[str, Any], Any]:
    def seal(column: str, value: Any) -> Any:
        if value is None or (isinstance(value, str) and is_sealed(value)):
            return value
        if column == "shipping_address" and not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False)
        return keyring.seal(table, value)

    return seal


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("kek_id", sa.String(length=16), nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rewrapped_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_keys")),
    )
    op.create_table(
        "personal_data_reveals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("subject_user_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_personal_data_reveals_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_personal_data_reveals_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["subject_user_id"], ["users.id"], name=op.f("fk_personal_data_reveals_subject_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_data_reveals")),
    )
    with op.batch_alter_table("personal_data_reveals") as batch_op:
        batch_op.create_index(batch_op.f("ix_personal_data_reveals_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_personal_data_reveals_subject_user_id"), ["subject_user_id"], unique=False
        )

    for (table, column), old in PLAIN_TYPES.items():
        _retype(table, column, sa.Text(), old)
    with op.batch_alter_table("buyer_identities") as batch_op:
        batch_op.add_column(sa.Column("person_key", sa.String(length=68), nullable=True))
        batch_op.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_buyer_identities_person_key"), ["person_key"])
    for table in COUNTERS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(
                "id_number",
                new_column_name="person_key",
                type_=sa.String(length=68),
                existing_type=sa.String(length=18),
                existing_nullable=False,
            )

    connection = op.get_bind()
    keyring = Keyring(load_data_keys(connection, _master_keys()))
    # the counters first: they are keyed by the plain number, which sealing the identities hides
    for table in COUNTERS:
        for (number,) in connection.execute(sa.text(f"SELECT DISTINCT person_key FROM {table}")).all():
            if not number.startswith("pk1:"):
                connection.execute(
                    sa.text(f"UPDATE {table} SET person_key = :key WHERE person_key = :number"),
                    {"key": keyring.person_key(number), "number": number},
                )
    claimed: set[str] = set()
    unresolved: list[int] = []
    identities = connection.execute(
        sa.text(
            "SELECT i.user_id, i.id_number FROM buyer_identities i ORDER BY (SELECT COUNT(*) "
            "FROM orders o WHERE o.buyer_id = i.user_id AND o.buyer_id_number = i.id_number) DESC, "
            "i.updated_at, i.user_id"
        )
    ).all()
    for user_id, number in identities:
        key = keyring.person_key(number)
        if key in claimed:
            unresolved.append(user_id)
            continue
        claimed.add(key)
        connection.execute(
            sa.text("UPDATE buyer_identities SET person_key = :key WHERE user_id = :user_id"),
            {"key": key, "user_id": user_id},
        )
    if unresolved:
        log.warning(
            "%d accounts named an ID number another account holds: their claims wait for an operator "
            "(POST /api/v1/identities/release); accounts %s",
            len(unresolved),
            unresolved,
        )
    for table in SEALED_COLUMNS:
        _rewrite(connection, table, _sealer(keyring, table))


def downgrade() -> None:
    connection = op.get_bind()
    found = read_data_keys(connection, _master_keys())
    keyring = Keyring(found) if found is not None else None

    def opened(column: str, value: Any) -> Any:
        if value is None or not is_sealed(value):
            return value
        assert keyring is not None
        return keyring.open(value)

    for table in SEALED_COLUMNS:
        _rewrite(connection, table, opened)
    numbers = {
        number
        for query in ("SELECT id_number FROM buyer_identities", "SELECT buyer_id_number FROM orders")
        for (number,) in connection.execute(sa.text(query)).all()
    }
    by_key = {keyring.person_key(number): number for number in numbers} if keyring else {}
    for table in COUNTERS:
        for (key,) in connection.execute(sa.text(f"SELECT DISTINCT person_key FROM {table}")).all():
            if key in by_key:
                connection.execute(
                    sa.text(f"UPDATE {table} SET person_key = :number WHERE person_key = :key"),
                    {"number": by_key[key], "key": key},
                )
            elif key.startswith("pk1:"):
                raise RuntimeError(f"{table} holds a person no identity or order names: cannot downgrade")
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(
                "person_key",
                new_column_name="id_number",
                type_=sa.String(length=18),
                existing_type=sa.String(length=68),
                existing_nullable=False,
            )
    with op.batch_alter_table("buyer_identities") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_buyer_identities_person_key"), type_="unique")
        batch_op.drop_column("verified_at")
        batch_op.drop_column("person_key")
    for (table, column), old in PLAIN_TYPES.items():
        if _is_postgresql() and isinstance(old, sa.JSON):
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE JSON USING {column}::json")
        else:
            _retype(table, column, old, sa.Text())
    with op.batch_alter_table("personal_data_reveals") as batch_op:
        batch_op.drop_index(batch_op.f("ix_personal_data_reveals_subject_user_id"))
        batch_op.drop_index(batch_op.f("ix_personal_data_reveals_order_id"))
    op.drop_table("personal_data_reveals")
    op.drop_table("data_keys")
