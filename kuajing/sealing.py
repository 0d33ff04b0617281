"""Personal data sealed at rest: envelope encryption and keyed lookups.

Each table that holds personal data has a data key of its own (AES-256-GCM), and one more key
makes lookup keys (HMAC-SHA256 of a resident ID number, so the yearly counters and "one identity,
one owner" still find a person without the number in clear). The data keys live in the database,
in `data_keys`, each wrapped (AES key wrap, RFC 3394) by a key-encryption key that never touches
the database: derived from KUAJING_SECRET_KEY, or read from KUAJING_KEY_FILE.

Rotating the key-encryption key re-wraps the data keys (`kuajing keys rotate`): the data keys
themselves, and so every sealed value, stay as they are, and a server still running on the old
secret keeps working on the data keys it unwrapped at start.

A sealed value is text, `kj1:<data key>:<nonce + ciphertext + tag, base64url>`; the data key's
name is also the AEAD's associated data, so a value moved to another table's column does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from sqlalchemy import text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError

PREFIX = "kj1:"
LOOKUP_PREFIX = "pk1:"
# The data keys a database holds: one per table with personal data, and the lookup key.
LOOKUP = "lookup"
SEALED = ("users", "buyer_identities", "orders", "customs_messages", "payment_notifications")
DATA_KEYS = (*SEALED, LOOKUP)
_NONCE_BYTES = 12
_DIALECT_ATTRIBUTE = "kuajing_keyring"


class SealingError(Exception):
    pass


class NoKeyring(SealingError):
    pass


class CannotUnwrap(SealingError):
    pass


class CannotOpen(SealingError):
    pass


def _fingerprint(kek: bytes) -> str:
    return hashlib.sha256(b"kuajing kek id" + kek).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class MasterKeys:
    """The key-encryption keys this process knows, the current one first: data keys are wrapped
    with it, and unwrapped with whichever one wrapped them (by its fingerprint)."""

    keys: tuple[bytes, ...]

    @classmethod
    def from_secrets(cls, current: str, previous: Iterable[str] = ()) -> MasterKeys:
        """Keys derived (HKDF-SHA256) from secret strings: KUAJING_SECRET_KEY and the ones it
        replaced, kept until `kuajing keys rotate` has re-wrapped every data key."""
        return cls(tuple(_derive(secret) for secret in (current, *previous)))

    @classmethod
    def from_file(cls, path: Path) -> MasterKeys:
        """One key per line, 32 bytes in base64, the current one first; # starts a comment."""
        keys = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            try:
                key = base64.b64decode(line, validate=True)
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not base64") from exc
            if len(key) != 32:
                raise ValueError(f"{path}:{number}: a key is 32 bytes, this one is {len(key)}")
            keys.append(key)
        if not keys:
            raise ValueError(f"{path} holds no key")
        return cls(tuple(keys))

    @property
    def current_id(self) -> str:
        return _fingerprint(self.keys[0])

    def wrap(self, data_key: bytes) -> tuple[str, str]:
        """(the current key's fingerprint, the data key wrapped by it in base64)."""
        return self.current_id, base64.b64encode(aes_key_wrap(self.keys[0], data_key)).decode()

    def unwrap(self, kek_id: str, wrapped: str) -> bytes:
        for kek in self.keys:
            if _fingerprint(kek) == kek_id:
                try:
                    return aes_key_unwrap(kek, base64.b64decode(wrapped))
                except InvalidUnwrap as exc:
                    raise CannotUnwrap(f"the key {kek_id} does not unwrap this data key") from exc
        raise CannotUnwrap(
            f"a data key is wrapped by key {kek_id}, which this process does not have: set the "
            "secret key it was made with (KUAJING_PREVIOUS_SECRET_KEYS) or run with its key file"
        )


def _derive(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"kuajing", info=b"key-encryption key v1").derive(
        secret.encode("utf-8")
    )


class Keyring:
    """The unwrapped data keys of one database: seals and opens its values, makes lookup keys."""

    def __init__(self, data_keys: Mapping[str, bytes]) -> None:
        missing = set(DATA_KEYS) - set(data_keys)
        if missing:
            raise CannotUnwrap(f"data keys missing: {sorted(missing)}")
        self._ciphers = {name: AESGCM(data_keys[name]) for name in SEALED}
        self._lookup = data_keys[LOOKUP]

    def seal(self, name: str, value: str) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._ciphers[name].encrypt(nonce, value.encode("utf-8"), name.encode())
        return f"{PREFIX}{name}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, value: str) -> str:
        if not value.startswith(PREFIX):
            raise CannotOpen("the value is not sealed")
        name, _, body = value[len(PREFIX) :].partition(":")
        cipher = self._ciphers.get(name)
        if cipher is None:
            raise CannotOpen(f"no data key named {name!r}")
        try:
            raw = base64.urlsafe_b64decode(body)
        except binascii.Error as exc:
            raise CannotOpen(f"a value sealed under {name!r} is not base64: altered") from exc
        try:
            return cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], name.encode()).decode("utf-8")
        except InvalidTag as exc:
            raise CannotOpen(f"a value sealed under {name!r} does not open: altered, or another key") from exc

    def person_key(self, id_number: str) -> str:
        """The lookup key of a resident ID number: equal numbers, equal keys; the number cannot be
        read back from it without the lookup key. 68 characters."""
        digest = hmac.new(self._lookup, id_number.encode("ascii"), hashlib.sha256).hexdigest()
        return LOOKUP_PREFIX + digest


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


# --- the data keys in the database (plain SQL: the lowest layer knows no models) ---


def _now(connection: Connection) -> datetime:
    """Now as the database's UTC columns keep it (kuajing.models.base.UTCDateTime): naive UTC on
    SQLite, aware on PostgreSQL (whose driver refuses a naive time for timestamptz)."""
    now = datetime.now(UTC)
    return now.replace(tzinfo=None) if connection.dialect.name == "sqlite" else now


def load_data_keys(connection: Connection, master: MasterKeys) -> dict[str, bytes]:
    """The database's data keys unwrapped, making the missing ones (a new database, or a new
    table's key): INSERT … ON CONFLICT DO NOTHING and read back, so two processes starting at
    once agree on one key."""
    now = _now(connection)
    for name in DATA_KEYS:
        kek_id, wrapped = master.wrap(secrets.token_bytes(32))
        connection.execute(
            text(
                "INSERT INTO data_keys (name, kek_id, wrapped, created_at, rewrapped_at) "
                "VALUES (:name, :kek_id, :wrapped, :now, :now) ON CONFLICT (name) DO NOTHING"
            ),
            {"name": name, "kek_id": kek_id, "wrapped": wrapped, "now": now},
        )
    rows = connection.execute(text("SELECT name, kek_id, wrapped FROM data_keys")).all()
    return {name: master.unwrap(kek_id, wrapped) for name, kek_id, wrapped in rows}


def read_data_keys(connection: Connection, master: MasterKeys) -> dict[str, bytes] | None:
    """The data keys unwrapped, or None while the database has none of them yet (a schema
    being made, or older than the keys): reading never writes."""
    try:
        rows = connection.execute(text("SELECT name, kek_id, wrapped FROM data_keys")).all()
    except DBAPIError:  # no table yet: the schema is being made
        connection.rollback()
        return None
    if {name for name, _, _ in rows} != set(DATA_KEYS):
        return None
    return {name: master.unwrap(kek_id, wrapped) for name, kek_id, wrapped in rows}


def rewrap(connection: Connection, master: MasterKeys) -> dict[str, str]:
    """Wrap every data key not yet under the current key-encryption key with it: {name: the
    fingerprint it was under}. Row by row, each its own UPDATE guarded by the old fingerprint,
    so readers see either wrapping and two rotations at once do not undo each other."""
    now = _now(connection)
    moved: dict[str, str] = {}
    rows = connection.execute(text("SELECT name, kek_id, wrapped FROM data_keys ORDER BY name")).all()
    for name, kek_id, wrapped in rows:
        if kek_id == master.current_id:
            continue
        new_id, new_wrapped = master.wrap(master.unwrap(kek_id, wrapped))
        result = connection.execute(
            text(
                "UPDATE data_keys SET kek_id = :new_id, wrapped = :wrapped, rewrapped_at = :now "
                "WHERE name = :name AND kek_id = :old_id"
            ),
            {"new_id": new_id, "wrapped": new_wrapped, "now": now, "name": name, "old_id": kek_id},
        )
        if result.rowcount:
            moved[name] = kek_id
    return moved


# --- the keyring a database's engine carries, for the sealed column types ---


def attach(dialect: Dialect, keyring: Keyring) -> None:
    """Give an engine's dialect its database's keyring: every engine has a dialect object of its
    own, and the column types are handed it with every value they convert."""
    setattr(dialect, _DIALECT_ATTRIBUTE, keyring)


def keyring_of(dialect: Dialect) -> Keyring:
    keyring: Any = getattr(dialect, _DIALECT_ATTRIBUTE, None)
    if keyring is None:
        raise NoKeyring(
            "this engine has no keyring: personal data is sealed with its database's data keys, "
            "loaded by kuajing.db.Database before its first transaction"
        )
    assert isinstance(keyring, Keyring)
    return keyring


def key_file_line() -> str:
    """A new key for a key file (`kuajing keys new`)."""
    return base64.b64encode(os.urandom(32)).decode()
