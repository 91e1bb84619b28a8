"""Column types that behave the same on SQLite, MariaDB/MySQL and PostgreSQL.

Migrations import these too, so keep their names and constructor arguments stable.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import DateTime, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


def _mysql_binary_collation(dialect: Dialect) -> str:
    """A case- and trailing-space-sensitive utf8mb4 collation for this server.

    MySQL's default collations are case-insensitive ("Name" and "name" would be the same tag key)
    and ``utf8mb4_bin`` is PAD SPACE ("k" == "k "); EC2 ids, tag keys, key pair names and client
    tokens are exact strings, as they are on SQLite and PostgreSQL.
    """
    if getattr(dialect, "is_mariadb", False):
        return "utf8mb4_nopad_bin"          # MariaDB >= 10.2
    version = getattr(dialect, "server_version_info", None) or ()
    return "utf8mb4_0900_bin" if tuple(version) >= (8, 0) else "utf8mb4_bin"


class Str(TypeDecorator[str]):
    """``VARCHAR(length)`` compared and ordered by code point on every backend.

    SQLite's default BINARY collation already does; MySQL gets a binary utf8mb4 collation and
    PostgreSQL the "C" collation, so that equality is exact and ORDER BY (DescribeTags pages) is the
    same everywhere, whatever the database's locale.
    """

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        length = cast(String, self.impl_instance).length   # the String(length) this type was made with
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(
                mysql.VARCHAR(length, charset="utf8mb4", collation=_mysql_binary_collation(dialect)))
        if dialect.name == "postgresql":
            return dialect.type_descriptor(String(length, collation="C"))
        return dialect.type_descriptor(String(length))


class LongText(TypeDecorator[str]):
    """Unbounded text (MySQL's ``TEXT`` stops at 64 KiB, so ``LONGTEXT`` there)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.LONGTEXT(charset="utf8mb4", collation="utf8mb4_bin"))
        return dialect.type_descriptor(Text())


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores ``timestamptz``; SQLite and MySQL have no zone, so values are stored as naive
    UTC (microseconds kept: ``DATETIME(6)`` on MySQL) and come back with ``tzinfo=UTC``.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        if dialect.name == "postgresql":
            return dialect.type_descriptor(DateTime(timezone=True))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column; use datetime.now(UTC)")
        value = value.astimezone(dt.UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    """Now, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)
