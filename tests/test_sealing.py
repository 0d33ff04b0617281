"""Sealing personal data: the envelope (data keys wrapped by a key-encryption key), values that
open only in their own table, lookup keys, and re-wrapping under a new secret."""

import base64
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from kuajing.sealing import (
    DATA_KEYS,
    CannotOpen,
    CannotUnwrap,
    Keyring,
    MasterKeys,
    load_data_keys,
    read_data_keys,
    rewrap,
)

pytestmark = pytest.mark.once

OLD, NEW = "the-old-secret-of-the-tests", "the-new-secret-of-the-tests"


def keyring() -> Keyring:
    return Keyring({name: bytes([i]) * 32 for i, name in enumerate(DATA_KEYS)})


def test_a_value_opens_to_itself_and_is_never_sealed_the_same_way_twice() -> None:
    ring = keyring()
    first, second = ring.seal("orders", "李娜"), ring.seal("orders", "李娜")
    assert first != second
    assert first.startswith("kj1:orders:") and "李娜" not in first
    assert ring.open(first) == ring.open(second) == "李娜"


def test_a_value_moved_to_another_table_or_altered_does_not_open() -> None:
    ring = keyring()
    sealed = ring.seal("orders", "11010519491231002X")
    moved = sealed.replace("kj1:orders:", "kj1:users:")
    with pytest.raises(CannotOpen, match="'users' does not open"):
        ring.open(moved)
    body = bytearray(base64.urlsafe_b64decode(sealed.split(":", 2)[2]))
    body[-1] ^= 1
    altered = "kj1:orders:" + base64.urlsafe_b64encode(bytes(body)).decode()
    with pytest.raises(CannotOpen, match="altered"):
        ring.open(altered)
    with pytest.raises(CannotOpen, match="not sealed"):
        ring.open("11010519491231002X")


def test_lookup_keys_are_equal_for_equal_numbers_and_keyed() -> None:
    ring = keyring()
    key = ring.person_key("11010519491231002X")
    assert key == ring.person_key("11010519491231002X")
    assert key != ring.person_key("110105194912310021")
    assert len(key) == 68 and key.startswith("pk1:") and "11010519491231002X" not in key
    other = Keyring({name: bytes([i + 1]) * 32 for i, name in enumerate(DATA_KEYS)})
    assert other.person_key("11010519491231002X") != key


def test_a_key_file_holds_base64_keys_of_32_bytes(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    first, second = b"\x01" * 32, b"\x02" * 32
    path.write_text(
        f"# current first\n{base64.b64encode(first).decode()}\n\n{base64.b64encode(second).decode()}  # old\n"
    )
    assert MasterKeys.from_file(path).keys == (first, second)
    path.write_text(base64.b64encode(b"\x01" * 16).decode() + "\n")
    with pytest.raises(ValueError, match="a key is 32 bytes, this one is 16"):
        MasterKeys.from_file(path)
    path.write_text("# nothing\n")
    with pytest.raises(ValueError, match="holds no key"):
        MasterKeys.from_file(path)


def _database(tmp_path: Path) -> str:
    path = tmp_path / "keys.db"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE data_keys (name VARCHAR(40) PRIMARY KEY, kek_id VARCHAR(16) NOT NULL, "
            "wrapped TEXT NOT NULL, created_at DATETIME NOT NULL, rewrapped_at DATETIME NOT NULL)"
        )
    return f"sqlite:///{path}"


def test_rewrapping_under_a_new_secret_keeps_every_data_key_and_value(tmp_path: Path) -> None:
    engine = create_engine(_database(tmp_path))
    old = MasterKeys.from_secrets(OLD)
    with engine.begin() as connection:
        keys = load_data_keys(connection, old)
        assert load_data_keys(connection, old) == keys  # a second start makes none anew
    sealed = Keyring(keys).seal("buyer_identities", "李娜")

    new_alone, new_with_old = MasterKeys.from_secrets(NEW), MasterKeys.from_secrets(NEW, [OLD])
    with engine.begin() as connection, pytest.raises(CannotUnwrap, match="which this process does not have"):
        read_data_keys(connection, new_alone)
    with engine.begin() as connection:
        moved = rewrap(connection, new_with_old)
    assert moved == dict.fromkeys(sorted(DATA_KEYS), old.current_id)
    with engine.begin() as connection:
        assert rewrap(connection, new_with_old) == {}  # already done: nothing moves
        after = read_data_keys(connection, new_alone)
    assert after == keys
    assert Keyring(after).open(sealed) == "李娜"
    with engine.begin() as connection, pytest.raises(CannotUnwrap):
        read_data_keys(connection, old)
