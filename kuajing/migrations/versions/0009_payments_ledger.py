"""Money that moves: payments become attempts through a provider (pending until the provider's
notification or a query says paid), refunds are their own rows, every provider notification is
kept, and a double-entry ledger with the platform's commission as dated rows.

Existing data: the payment `method` column becomes `provider`; a payment marked refunded stays
captured with its whole amount refunded, and its refund (recorded on the order's accepted return)
becomes a refund row; each order's freight in dollars is its yuan freight converted back at the
order's rate. The journal and the notifications are append-only like the event tables (0005).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 19:48:39.051027
"""

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from alembic import op

from kuajing.models.base import ExactDecimal, UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("journal_entries", "journal_lines", "payment_notifications")
DEFAULT_COMMISSION_SOURCE = (
    "kuajing's default commission (operator policy, set 2026-12-03): 5% of the seller's goods in "
    "US dollars, shipping excluded, for every category until the operator adds a category's or a "
    "seller's own rate."
)


def _freight_in_dollars() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, freight_amount, fx_rate FROM orders WHERE freight_amount > 0"))
    updates = [
        {"id": id_, "usd": int((Decimal(fen) / Decimal(rate)).to_integral_value(ROUND_HALF_UP))}
        for id_, fen, rate in rows
    ]
    if updates:
        bind.execute(sa.text("UPDATE orders SET freight_usd_amount = :usd WHERE id = :id"), updates)


def _payments_refunded_become_refund_rows() -> None:
    bind = op.get_bind()
    refunded = bind.execute(
        sa.text(
            "SELECT p.id, p.order_id, p.amount, p.currency, o.goods_amount, o.freight_amount, o.tax_amount,"
            " o.dutiable_amount, o.goods_usd_amount, o.freight_usd_amount, r.reason, r.decided_by,"
            " r.refund_reference, r.decided_at, p.created_at"
            " FROM payments p JOIN orders o ON o.id = p.order_id"
            " LEFT JOIN order_returns r ON r.order_id = p.order_id"
            " WHERE p.status = 'refunded'"
        )
    ).all()
    for row in refunded:
        decided_at = row.decided_at or row.created_at
        bind.execute(
            sa.text(
                "INSERT INTO refunds (order_id, payment_id, request_no, status, amount, currency,"
                " goods_amount, freight_amount, tax_amount, dutiable_amount, goods_usd_amount,"
                " freight_usd_amount, lines, reason, requested_by, reference, created_at, completed_at)"
                " VALUES (:order_id, :payment_id, :request_no, 'succeeded', :amount, :currency, :goods,"
                " :freight, :tax, :dutiable, :goods_usd, :freight_usd, NULL, :reason, :by, :reference,"
                " :at, :at)"
            ),
            {
                "order_id": row.order_id,
                "payment_id": row.id,
                # the idempotency key the gateway was given for it
                "request_no": f"kuajing-refund-payment-{row.id}",
                "amount": row.amount,
                "currency": row.currency,
                "goods": row.goods_amount,
                "freight": row.freight_amount,
                "tax": row.amount - row.goods_amount - row.freight_amount,
                "dutiable": row.dutiable_amount,
                "goods_usd": row.goods_usd_amount,
                "freight_usd": row.freight_usd_amount,
                "reason": (row.reason or "return accepted")[:200],
                "by": row.decided_by,
                "reference": row.refund_reference,
                "at": decided_at,
            },
        )
    op.execute("UPDATE payments SET refunded_amount = amount, status = 'captured' WHERE status = 'refunded'")
    op.execute("UPDATE payments SET captured_at = created_at WHERE status = 'captured'")
    # before 0009 an order had at most one payment: the one that paid it
    op.execute(
        "UPDATE orders SET paid_by_payment_id = (SELECT p.id FROM payments p WHERE p.order_id = orders.id)"
        " WHERE EXISTS (SELECT 1 FROM payments p WHERE p.order_id = orders.id)"
    )


def _append_only(tables: Sequence[str]) -> None:
    """The triggers of 0005 (its function on PostgreSQL) on more tables."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in tables:
        if postgresql:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION kuajing_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION kuajing_refuse_change()"
            )
            continue
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: "
                "its rows are never changed or deleted'); END"
            )


def _drop_append_only(tables: Sequence[str]) -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in tables:
        if postgresql:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
            continue
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER {table}_no_{action}")


def upgrade() -> None:
    op.create_table(
        "commission_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("seller_id", sa.Integer(), nullable=True),
        sa.Column("rate", ExactDecimal(length=32), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["users.id"], name=op.f("fk_commission_rates_seller_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_rates")),
    )
    op.create_table(
        "payment_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("out_trade_no", sa.String(length=64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('captured', 'refunded', 'replayed', 'noted', 'refused')",
            name=op.f("ck_payment_notifications_outcome_known"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_notifications_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_notifications")),
    )
    with op.batch_alter_table("payment_notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_notifications_payment_id"), ["payment_id"], unique=False)

    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("request_no", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("goods_amount", sa.Integer(), nullable=False),
        sa.Column("freight_amount", sa.Integer(), nullable=False),
        sa.Column("tax_amount", sa.Integer(), nullable=False),
        sa.Column("dutiable_amount", sa.Integer(), nullable=False),
        sa.Column("goods_usd_amount", sa.Integer(), nullable=False),
        sa.Column("freight_usd_amount", sa.Integer(), nullable=False),
        sa.Column("commission_usd_amount", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lines", sa.JSON(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("failure", sa.String(length=300), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed')", name=op.f("ck_refunds_status_known")
        ),
        sa.CheckConstraint(
            "amount = goods_amount + freight_amount + tax_amount", name=op.f("ck_refunds_parts_add_up")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount_positive")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_refunds_order_id_orders")),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments")),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"], name=op.f("fk_refunds_requested_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("request_no", name=op.f("uq_refunds_request_no")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refunds_payment_id"), ["payment_id"], unique=False)

    op.create_table(
        "payout_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("rail", sa.String(length=24), nullable=False),
        sa.Column("minimum_usd_amount", sa.Integer(), nullable=False),
        sa.Column("payouts", sa.Integer(), nullable=False),
        sa.Column("total_usd_amount", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_payout_batches_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_batches")),
    )
    op.create_table(
        "payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("amount_usd", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_usd > 0", name=op.f("ck_payouts_amount_positive")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["payout_batches.id"], name=op.f("fk_payouts_batch_id_payout_batches")
        ),
        sa.ForeignKeyConstraint(["seller_id"], ["users.id"], name=op.f("fk_payouts_seller_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
    )
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payouts_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payouts_seller_id"), ["seller_id"], unique=False)
    op.create_table(
        "payout_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("amount_usd", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_payout_lines_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payouts.id"], name=op.f("fk_payout_lines_payout_id_payouts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_lines")),
    )
    with op.batch_alter_table("payout_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payout_lines_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payout_lines_payout_id"), ["payout_id"], unique=False)

    op.create_table(
        "journal_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("refund_id", sa.Integer(), nullable=True),
        sa.Column("memo", sa.String(length=300), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_journal_entries_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_journal_entries_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_journal_entries_refund_id_refunds")
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payouts.id"], name=op.f("fk_journal_entries_payout_id_payouts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
        sa.UniqueConstraint("key", name=op.f("uq_journal_entries_key")),
    )
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_journal_entries_order_id"), ["order_id"], unique=False)

    op.create_table(
        "journal_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.Column("party", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("debit", sa.Integer(), nullable=False),
        sa.Column("credit", sa.Integer(), nullable=False),
        sa.CheckConstraint("(debit = 0) <> (credit = 0)", name=op.f("ck_journal_lines_one_side")),
        sa.CheckConstraint("debit >= 0 AND credit >= 0", name=op.f("ck_journal_lines_sides_not_negative")),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_journal_lines_entry_id_journal_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_lines")),
    )
    with op.batch_alter_table("journal_lines", schema=None) as batch_op:
        batch_op.create_index("ix_journal_lines_account", ["account", "party", "currency"], unique=False)
        batch_op.create_index(batch_op.f("ix_journal_lines_entry_id"), ["entry_id"], unique=False)

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refunded_quantity", sa.Integer(), server_default="0", nullable=False))

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("freight_usd_amount", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("paid_by_payment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("held_reason", sa.String(length=40), nullable=True))
    _freight_in_dollars()

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.alter_column("method", new_column_name="provider", existing_type=sa.String(length=16))
        batch_op.add_column(sa.Column("redirect_url", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("code_url", sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column("refunded_amount", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("captured_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("declaration_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("declaration_reference", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("payer_identity", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("declared_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column("reference", existing_type=sa.VARCHAR(length=64), nullable=True)
        batch_op.drop_constraint(batch_op.f("uq_payments_order_id"), type_="unique")
        batch_op.create_index(batch_op.f("ix_payments_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_payments_status_created_at", ["status", "created_at"], unique=False)

    _payments_refunded_become_refund_rows()
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "status_known", "status IN ('pending', 'captured', 'closed', 'failed')"
        )
        batch_op.create_check_constraint(
            "refunds_within_amount", "refunded_amount >= 0 AND refunded_amount <= amount"
        )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "refunds_within_quantity", "refunded_quantity >= 0 AND refunded_quantity <= quantity"
        )

    op.bulk_insert(
        sa.table(
            "commission_rates",
            sa.column("category", sa.String),
            sa.column("seller_id", sa.Integer),
            sa.column("rate", sa.String),
            sa.column("effective_from", sa.Date),
            sa.column("effective_to", sa.Date),
            sa.column("source", sa.Text),
        ),
        [
            {
                "category": None,
                "seller_id": None,
                "rate": "0.05",
                "effective_from": date(2020, 1, 1),
                "effective_to": None,
                "source": DEFAULT_COMMISSION_SOURCE,
            }
        ],
    )
    _append_only(APPEND_ONLY)


def downgrade() -> None:
    _drop_append_only(APPEND_ONLY)
    op.execute("UPDATE payments SET status = 'refunded' WHERE refunded_amount = amount AND amount > 0")
    op.execute("DELETE FROM payments WHERE status <> 'captured' AND status <> 'refunded'")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_payments_status_known"), type_="check")
        batch_op.drop_constraint(op.f("ck_payments_refunds_within_amount"), type_="check")
        batch_op.alter_column("provider", new_column_name="method", existing_type=sa.String(length=16))
        batch_op.drop_index("ix_payments_status_created_at")
        batch_op.drop_index(batch_op.f("ix_payments_order_id"))
        batch_op.create_unique_constraint(batch_op.f("uq_payments_order_id"), ["order_id"])
        batch_op.alter_column("reference", existing_type=sa.VARCHAR(length=64), nullable=False)
        for column in (
            "declared_at",
            "payer_identity",
            "declaration_reference",
            "declaration_status",
            "closed_at",
            "captured_at",
            "expires_at",
            "refunded_amount",
            "code_url",
            "redirect_url",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_order_lines_refunds_within_quantity"), type_="check")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("held_reason")
        batch_op.drop_column("paid_by_payment_id")
        batch_op.drop_column("freight_usd_amount")

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_column("refunded_quantity")

    with op.batch_alter_table("journal_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_lines_entry_id"))
        batch_op.drop_index("ix_journal_lines_account")

    op.drop_table("journal_lines")
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_entries_order_id"))

    op.drop_table("journal_entries")
    for table in ("payout_lines", "payouts", "payout_batches"):
        op.drop_table(table)
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_payment_id"))
        batch_op.drop_index(batch_op.f("ix_refunds_order_id"))

    op.drop_table("refunds")
    with op.batch_alter_table("payment_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_notifications_payment_id"))

    op.drop_table("payment_notifications")
    op.drop_table("commission_rates")
