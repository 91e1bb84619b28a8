"""Database(url): per-backend engine settings, sessions, and aware UTC datetimes."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from ec2api_runtime.db import Database, ids
from ec2api_runtime.db.types import UTCDateTime


def test_sqlite_pragmas(db: Database) -> None:
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    assert db.backend == "sqlite"
    db.ping()


def test_session_commits_or_rolls_back(db: Database) -> None:
    with db.session() as s:
        kept = ids.ec2_id(s, "p", "i", "kept")
    with pytest.raises(RuntimeError), db.session() as s:
        lost = ids.ec2_id(s, "p", "i", "lost")
        raise RuntimeError("boom")
    with db.session() as s:
        assert ids.os_id(s, "p", kept) == "kept"
        assert ids.os_id(s, "p", lost) is None


def test_sqlite_savepoints_work(db: Database) -> None:
    """The pysqlite transaction fix: a failed nested block rolls back only itself."""
    with db.session() as s:
        ids.ec2_id(s, "p", "i", "outer")
        with pytest.raises(sa.exc.IntegrityError), s.begin_nested():
            s.execute(sa.text("INSERT INTO accounts (project_id, account_id, created_at) VALUES "
                              "('a', '1', '2026-01-01'), ('b', '1', '2026-01-01')"))
    with db.session() as s:
        assert ids.os_ids(s, "p", [ids.ec2_id(s, "p", "i", "outer")])


def test_sqlite_writers_wait_instead_of_failing(db: Database) -> None:
    """Two sessions writing at once: the second waits for the first (BEGIN IMMEDIATE + busy_timeout)."""
    done = threading.Event()
    with db.session() as s:
        ids.ec2_id(s, "p", "i", "first")

        def other() -> None:
            with db.session() as s2:
                ids.ec2_id(s2, "p", "i", "second")
            done.set()

        t = threading.Thread(target=other)
        t.start()
        assert not done.wait(0.3)
    t.join(10)
    assert done.is_set()


def test_mysql_url_gets_utf8mb4() -> None:
    db = Database("mysql+pymysql://u:secret@127.0.0.1:1/ec2api")    # no connection is made
    assert db.engine.url.query["charset"] == "utf8mb4"
    assert db.backend == "mysql"
    assert "secret" not in repr(db)


def test_retryable_classification() -> None:
    import sqlite3

    import pymysql

    from ec2api_runtime.db.engine import retryable

    def wrap(orig: BaseException) -> sa.exc.DBAPIError:
        return sa.exc.OperationalError("stmt", {}, orig)

    assert retryable(wrap(pymysql.err.OperationalError(1213, "Deadlock found")))
    assert not retryable(wrap(pymysql.err.OperationalError(2003, "Can't connect")))
    assert retryable(wrap(sqlite3.OperationalError("database is locked")))
    assert not retryable(wrap(sqlite3.OperationalError("no such table: x")))

    class PgError(Exception):
        sqlstate = "40P01"

    assert retryable(wrap(PgError()))


def test_run_commits_and_returns(db: Database) -> None:
    eid = db.run(lambda s: ids.ec2_id(s, "p", "i", "via-run"))
    with db.session() as s:
        assert ids.os_id(s, "p", eid) == "via-run"
    with pytest.raises(KeyError):
        db.run(lambda s: {}["missing"])


def test_unsupported_backend() -> None:
    with pytest.raises(ValueError):
        Database("oracle://u:p@h/db")


def test_utc_datetime_type() -> None:
    t = UTCDateTime()
    sqlite = sa.create_engine("sqlite://").dialect
    with pytest.raises(ValueError):
        t.process_bind_param(dt.datetime(2026, 1, 1), sqlite)
    plus2 = dt.timezone(dt.timedelta(hours=2))
    stored = t.process_bind_param(dt.datetime(2026, 1, 1, 12, tzinfo=plus2), sqlite)
    assert stored == dt.datetime(2026, 1, 1, 10)
    assert t.process_result_value(stored, sqlite) == dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)
