"""The ``Database``: an engine configured per backend, sessions, and ``upgrade()`` (Alembic)."""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000


class Database:
    """ec2api's database: ``Database(url)``, ``db.upgrade()``, ``with db.session() as s: ...``.

    URLs: ``sqlite:///path`` (the default backend), ``mysql+pymysql://user:pw@host/db?charset=utf8mb4``
    (MariaDB/MySQL), ``postgresql+psycopg://user:pw@host/db``.

    Keep sessions short and never hold one across an OpenStack call: on SQLite every transaction
    takes the database's write lock when it begins (``BEGIN IMMEDIATE``, see ``_sqlite``), so a
    long session stalls every other worker.
    """

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = make_url(url)
        backend = self.url.get_backend_name()
        if backend == "sqlite":
            self.engine = _sqlite(self.url, engine_kwargs)
        elif backend in ("mysql", "mariadb"):
            self.engine = _mysql(self.url, engine_kwargs)
        elif backend == "postgresql":
            self.engine = _postgresql(self.url, engine_kwargs)
        else:
            raise ValueError(f"unsupported database backend {backend!r} (sqlite, mysql/mariadb, postgresql)")
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._upgrade_lock = threading.Lock()
        self._secrets: dict[str, bytes] = {}

    @property
    def backend(self) -> str:
        """``sqlite``, ``mysql`` (MariaDB too) or ``postgresql``."""
        name = self.engine.dialect.name
        return "mysql" if name == "mariadb" else name

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed when the block succeeds, rolled back when it raises."""
        with self._sessions.begin() as s:
            yield s

    def run(self, fn: Callable[[Session], T], attempts: int = 3) -> T:
        """``fn(session)`` in a transaction, run again (up to ``attempts`` times) when the server
        aborts it as a deadlock victim or serialization failure - which MySQL and PostgreSQL may do to
        concurrent writers, and which only a whole-transaction retry fixes. ``fn`` must not have
        side effects outside the database."""
        for attempt in range(1, attempts + 1):
            try:
                with self.session() as s:
                    return fn(s)
            except DBAPIError as exc:
                if attempt == attempts or not retryable(exc):
                    raise
                time.sleep(random.uniform(0.01, 0.05) * attempt)   # jitter: do not collide again
        raise AssertionError("unreachable")

    def upgrade(self, revision: str = "head") -> None:
        """Apply the Alembic migrations up to ``revision`` (idempotent)."""
        from ec2api_runtime.db.migrations import upgrade

        with self._upgrade_lock:
            upgrade(self.engine, revision)

    def secret(self, name: str) -> bytes:
        """The deployment-wide secret ``name`` (see ``db.secrets``), read once per process."""
        value = self._secrets.get(name)
        if value is None:
            from ec2api_runtime.db import secrets

            value = self._secrets[name] = self.run(lambda s: secrets.get(s, name))
        return value

    def ping(self) -> None:
        """Raise when the database cannot be reached (for deep health checks)."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close the pooled connections (tests, and forked workers before first use)."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"


# MySQL: 1213 deadlock, 1205 lock wait timeout; PostgreSQL SQLSTATEs: 40P01 deadlock, 40001 serialization.
_MYSQL_RETRYABLE = {1213, 1205}
_PG_RETRYABLE = {"40P01", "40001"}


def retryable(exc: BaseException) -> bool:
    """Whether a database error means "run the whole transaction again" (deadlock and friends)."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) in _PG_RETRYABLE:
        return True
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and args[0] in _MYSQL_RETRYABLE:     # PyMySQL and mysqlclient
        return True
    # SQLite: "database is locked" after busy_timeout: another writer held the lock too long.
    return type(orig).__module__ == "sqlite3" and "database is locked" in str(orig)


def _sqlite(url: Any, kwargs: dict[str, Any]) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("connect_args", {}).setdefault("check_same_thread", False)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; take it over
        # (SQLAlchemy's documented recipe) and emit BEGIN ourselves in _on_begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")    # durable enough in WAL mode, much faster
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE: take the write lock up front. A deferred transaction that reads and then writes
        # fails at once with SQLITE_BUSY (no busy_timeout wait) when another connection committed in
        # between - exactly the get-or-create pattern of ids, tags and idempotency.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _mysql(url: Any, kwargs: dict[str, Any]) -> Engine:
    if "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_recycle", 3600)     # below MySQL's wait_timeout, and through proxies
    # READ COMMITTED: after losing an insert race on a unique key, the re-read must see the winner's
    # row; InnoDB's default REPEATABLE READ would keep showing the transaction's older snapshot.
    kwargs.setdefault("isolation_level", "READ COMMITTED")
    return create_engine(url, **kwargs)


def _postgresql(url: Any, kwargs: dict[str, Any]) -> Engine:
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("isolation_level", "READ COMMITTED")
    return create_engine(url, **kwargs)
