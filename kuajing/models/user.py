from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.models.base import Base, Sealed, UTCDateTime


class Role(StrEnum):
    buyer = "buyer"
    seller = "seller"
    operator = "operator"


class User(Base):
    __tablename__ = "users"
    # the rehearsal's users, found quickly among millions by `kuajing rehearse --cleanup`
    __table_args__ = (
        Index("ix_users_rehearsal", "id", postgresql_where=text("rehearsal"), sqlite_where=text("rehearsal")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Sealed("users"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Rehearsal traffic (kuajing.rehearsal): a synthetic user of `kuajing rehearse --url`, whose
    # orders the console, the reports and payments leave out and `--cleanup` deletes.
    rehearsal: Mapped[bool] = mapped_column(default=False, server_default=false())


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The token stops signing in at expires_at, or once unused for the idle time (see
    # kuajing.auth.service.authenticate); last_used_at is refreshed at most hourly.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # What signed in with it, as its holder's list of sessions names it.
    device: Mapped[str] = mapped_column(String(120), default="", server_default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
