"""The state layer (EC2 ids, tags, idempotency, accounts, migrations) on SQLite, MariaDB and PostgreSQL.

Backends:
- SQLite: a file under pytest's tmp dir.
- MariaDB/MySQL: ``$EC2API_TEST_MYSQL_URL``, else the test cloud's ``.cloud/cloud.json``
  (``database.ec2api.url``); a scratch ``ec2api_test_*`` database is created and dropped.
- PostgreSQL: ``$EC2API_TEST_PG_URL`` (a superuser URL), else a throwaway cluster started by
  ``tests/unit/_pg_server.py``; a scratch database is created and dropped.
With ``CI=true`` an unavailable backend fails the tests instead of skipping them.

Everything is project-scoped, so tests share one migrated database per backend and isolate
themselves with fresh project ids.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import make_url

from ec2api_runtime.db import Database, accounts, idempotency, ids, tags
from ec2api_runtime.db.migrations import config, current
from ec2api_runtime.db.models import Base, Item, Tag
from ec2api_runtime.errors import EC2Error

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = ["sqlite", "mysql", "postgresql"]


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: every database backend must be tested)")
    pytest.skip(reason)


# ---------------------------------------------------------------- backends

def _mysql_admin_url() -> str | None:
    if os.environ.get("EC2API_TEST_MYSQL_URL"):
        return os.environ["EC2API_TEST_MYSQL_URL"]
    cloud = Path(os.environ.get("EC2API_CLOUD_DIR") or ROOT / ".cloud") / "cloud.json"
    try:
        return json.loads(cloud.read_text())["database"]["ec2api"]["url"]
    except (OSError, ValueError, KeyError):
        return None


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A PostgreSQL superuser URL: ``$EC2API_TEST_PG_URL`` or a throwaway cluster for this session."""
    if os.environ.get("EC2API_TEST_PG_URL"):
        yield os.environ["EC2API_TEST_PG_URL"]
        return
    from tests.unit._pg_server import PgServer, PgUnavailable

    server = PgServer()
    try:
        url = server.start()
    except (PgUnavailable, OSError, subprocess_error()) as exc:
        server.stop()
        _unavailable(f"PostgreSQL unavailable: {exc}")
    try:
        yield url
    finally:
        server.stop()


def subprocess_error() -> type[Exception]:
    import subprocess

    return subprocess.SubprocessError


@pytest.fixture(scope="session")
def mysql_admin_url() -> str:
    url = _mysql_admin_url()
    if not url:
        _unavailable("MariaDB unavailable: no $EC2API_TEST_MYSQL_URL and no .cloud/cloud.json (make cloud-up)")
    try:
        with sa.create_engine(url).connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        _unavailable(f"MariaDB at {make_url(url).render_as_string()} unreachable: {exc.orig}")
    return url


@pytest.fixture
def scratch(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], str]:
    """``scratch(backend)``: the URL of a new empty database, dropped after the test."""
    drops: list[Callable[[], None]] = []

    def make(backend: str) -> str:
        url, drop = _new_database(request, tmp_path_factory, backend)
        drops.append(drop)
        return url

    yield make
    for drop in drops:
        drop()


def _new_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                  backend: str) -> tuple[str, Callable[[], None]]:
    name = f"ec2api_test_{uuid.uuid4().hex[:12]}"
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / f"{name}.sqlite"
        return f"sqlite:///{path}", lambda: None
    if backend == "mysql":
        admin = make_url(request.getfixturevalue("mysql_admin_url"))
        create = f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        drop = f"DROP DATABASE IF EXISTS `{name}`"
    else:
        admin = make_url(request.getfixturevalue("pg_admin_url"))
        create, drop = f'CREATE DATABASE "{name}" ENCODING \'UTF8\'', f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text(create))

    def dropper() -> None:
        with engine.connect() as conn:
            conn.execute(sa.text(drop))
        engine.dispose()

    return admin.set(database=name).render_as_string(hide_password=False), dropper


@pytest.fixture(scope="module", params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A migrated database per backend, shared by the module's tests."""
    url, drop = _new_database(request, tmp_path_factory, request.param)
    database = Database(url)
    database.upgrade()
    try:
        yield database
    finally:
        database.dispose()
        drop()


@pytest.fixture
def project() -> str:
    return uuid.uuid4().hex


def _other_project() -> str:
    return uuid.uuid4().hex


class StatementCounter:
    """Counts SELECT and INSERT statements an engine runs (executemany counts once)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.selects = self.inserts = 0

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on)

    def _on(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb == "SELECT":
            self.selects += 1
        elif verb == "INSERT":
            self.inserts += 1


def _run_threads(n: int, fn: Callable[[int], Any]) -> list[Any]:
    results: list[Any] = [None] * n
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def target(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = fn(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    if errors:
        raise errors[0]
    return results


# ---------------------------------------------------------------- migrations

@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_from_empty(scratch: Callable[[str], str], backend: str) -> None:
    database = Database(scratch(backend))
    try:
        assert current(database.engine) is None
        database.upgrade()
        database.upgrade()       # idempotent
        assert current(database.engine) == ScriptDirectory.from_config(config()).get_current_head()
        names = set(sa.inspect(database.engine).get_table_names())
        assert {"items", "tags", "idempotency", "accounts", "secrets", "alembic_version"} <= names
        inspector = sa.inspect(database.engine)
        uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("items")}
        assert ("project_id", "kind", "os_id") in uniques
        assert inspector.get_pk_constraint("tags")["constrained_columns"] == ["project_id", "resource_id", "key"]
        # And it works.
        with database.session() as s:
            assert ids.os_id(s, "p", ids.ec2_id(s, "p", "i", "x")) == "x"
        _assert_no_schema_diff(database)
    finally:
        database.dispose()


def _assert_no_schema_diff(database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with database.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrated schema differ on {database.backend}: {diff}"


def test_columns_are_exact(db: Database) -> None:
    """Keys are compared and ordered by code point (no case folding, no padding, no locale)."""
    if db.backend == "sqlite":
        pytest.skip("SQLite's default BINARY collation is exact")
    where = "table_schema = DATABASE()" if db.backend == "mysql" else "table_schema = current_schema()"
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT column_name, collation_name FROM information_schema.columns "
            f"WHERE {where} AND table_name = 'tags' AND column_name IN ('key', 'value', 'resource_id')"))
        collations = {name: coll for name, coll in rows}
    assert len(collations) == 3
    expected = {"utf8mb4_nopad_bin", "utf8mb4_0900_bin"} if db.backend == "mysql" else {"C"}
    assert set(collations.values()) <= expected, collations


def test_server_settings(db: Database) -> None:
    """READ COMMITTED on the servers (a lost insert race must re-read the winner's row)."""
    with db.engine.connect() as conn:
        level = conn.get_isolation_level()
    if db.backend == "sqlite":
        assert level == "SERIALIZABLE"
    else:
        assert level == "READ COMMITTED"


def test_run_retries_deadlock_victims(db: Database) -> None:
    """Two transactions locking two rows in opposite orders: the server kills one, run() retries it."""
    if db.backend == "sqlite":
        pytest.skip("SQLite serialises writers: no deadlocks")
    a, b = f"dl-{uuid.uuid4().hex}", f"dl-{uuid.uuid4().hex}"
    with db.session() as s:
        accounts.account_id(s, a)
        accounts.account_id(s, b)
    barrier = threading.Barrier(2)
    calls = {0: 0, 1: 0}

    def lock_both(first: str, second: str, i: int) -> Callable[[Any], str]:
        def fn(s: Any) -> str:
            calls[i] += 1
            stmt = "UPDATE accounts SET created_at = created_at WHERE project_id = :p"
            s.execute(sa.text(stmt), {"p": first})
            if calls[i] == 1:
                barrier.wait(timeout=30)       # both hold their first row: now cross
            s.execute(sa.text(stmt), {"p": second})
            return "ok"
        return fn

    results = _run_threads(2, lambda i: db.run(lock_both(a, b, 0) if i == 0 else lock_both(b, a, 1)))
    assert results == ["ok", "ok"]
    assert calls[0] + calls[1] == 3        # exactly one victim, run once more


# ---------------------------------------------------------------- ids

def test_ec2_id_lazy_and_stable(db: Database, project: str) -> None:
    os_id = str(uuid.uuid4())
    with db.session() as s:
        first = ids.ec2_id(s, project, "i", os_id)
    assert ids.is_well_formed("i", first) and len(first) == 2 + 17
    with db.session() as s:
        assert ids.ec2_id(s, project, "i", os_id) == first
        assert ids.os_id(s, project, first) == os_id
        # Another kind of the same OpenStack id is another EC2 id.
        assert ids.ec2_id(s, project, "eni", os_id).startswith("eni-")
        assert ids.ec2_id(s, project, "eni", os_id) != first


def test_ids_are_isolated_by_project(db: Database, project: str) -> None:
    other = _other_project()
    os_id = str(uuid.uuid4())
    with db.session() as s:
        mine = ids.ec2_id(s, project, "vol", os_id)
        assert ids.os_id(s, other, mine) is None
        assert ids.os_ids(s, other, [mine]) == {}
        theirs = ids.ec2_id(s, other, "vol", os_id)
        assert theirs != mine
        ids.forget(s, other, [mine])          # cannot forget another project's id
        assert ids.os_id(s, project, mine) == os_id


def test_bulk_ec2_ids_one_select_one_insert(db: Database, project: str) -> None:
    os_ids = [str(uuid.uuid4()) for _ in range(500)]
    with db.session() as s:
        ids.ec2_id(s, project, "i", os_ids[0])
    with db.session() as s, StatementCounter(db.engine) as count:
        mapping = ids.ec2_ids(s, project, "i", os_ids)
    assert (count.selects, count.inserts) == (1, 1)
    assert set(mapping) == set(os_ids) and len(set(mapping.values())) == 500
    with db.session() as s, StatementCounter(db.engine) as count:
        assert ids.ec2_ids(s, project, "i", reversed(os_ids)) == mapping
        back = ids.os_ids(s, project, list(mapping.values()) + ["i-00000000000000000"])
    assert (count.selects, count.inserts) == (2, 0)
    assert back == {e: o for o, e in mapping.items()}


def test_forget_removes_mapping_and_tags(db: Database, project: str) -> None:
    with db.session() as s:
        vol = ids.ec2_id(s, project, "vol", "v1")
        keep = ids.ec2_id(s, project, "vol", "v2")
        tags.set_tags(s, project, [vol, keep], [{"Key": "a", "Value": "1"}])
    with db.session() as s:
        ids.forget(s, project, [vol])
    with db.session() as s:
        assert ids.os_id(s, project, vol) is None
        assert tags.tags_for(s, project, [vol, keep]) == {vol: [], keep: [{"Key": "a", "Value": "1"}]}
        assert s.scalar(sa.select(sa.func.count()).select_from(Tag).where(Tag.resource_id == vol)) == 0
        # Forgotten: the same OpenStack id gets a new EC2 id.
        assert ids.ec2_id(s, project, "vol", "v1") != vol


class IntegrityErrors:
    """Counts the unique-key violations the engine reports (the race path was taken)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.count = 0

    def __enter__(self) -> IntegrityErrors:
        event.listen(self.engine, "handle_error", self._on)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "handle_error", self._on)

    def _on(self, context: Any) -> None:
        if isinstance(context.sqlalchemy_exception, sa.exc.IntegrityError):
            self.count += 1


def test_concurrent_creation_blocked_writer(db: Database, project: str) -> None:
    """A writer that loses the insert race on the unique key ends with the winner's id."""
    got: dict[str, str] = {}

    def loser() -> None:
        with db.session() as s2:
            got["id"] = ids.ec2_id(s2, project, "i", "racy")

    with IntegrityErrors(db.engine) as errors:
        with db.session() as s1:
            winner = ids.ec2_id(s1, project, "i", "racy")
            t = threading.Thread(target=loser)
            t.start()
            time.sleep(0.5)        # the loser is now blocked on our uncommitted row (or our lock)
        t.join(timeout=60)
    assert got["id"] == winner
    if db.backend != "sqlite":
        # MySQL/PostgreSQL: the loser's insert failed on the unique key and it re-read the winner's
        # row. (SQLite serialises writers at BEGIN IMMEDIATE, so its loser never inserts.)
        assert errors.count >= 1


def test_concurrent_creation_threads(db: Database, project: str) -> None:
    os_ids = [str(uuid.uuid4()) for _ in range(100)]

    def work(i: int) -> dict[str, str]:
        mine = os_ids[:]
        random.Random(i).shuffle(mine)
        with db.session() as s:
            return ids.ec2_ids(s, project, "i", mine[: 60 + i * 5])

    results = _run_threads(8, work)
    merged: dict[str, str] = {}
    for r in results:
        for o, e in r.items():
            assert merged.setdefault(o, e) == e, "two workers got different ids for one object"
    with db.session() as s:
        n = s.scalar(sa.select(sa.func.count()).select_from(Item).where(Item.project_id == project))
    assert n == len(merged) == 100


# ---------------------------------------------------------------- tags

def _resources(db: Database, project: str, kind: str = "i", n: int = 2) -> list[str]:
    with db.session() as s:
        return list(ids.ec2_ids(s, project, kind, [f"{kind}-os-{i}" for i in range(n)]).values())


def _code(fn: Callable[[], Any]) -> str:
    with pytest.raises(EC2Error) as info:
        fn()
    return info.value.code


def test_set_tags_upsert_and_exact_keys(db: Database, project: str) -> None:
    a, b = _resources(db, project)
    with db.session() as s:
        tags.set_tags(s, project, [a, b], [{"Key": "Name", "Value": "web"}, {"Key": "env"}])
    with db.session() as s:
        tags.set_tags(s, project, [a], [{"Key": "Name", "Value": "db"}, {"Key": "name", "Value": "lower"},
                                        {"Key": "env ", "Value": "trailing space"},
                                        {"Key": "ключ", "Value": "значение ✓"}])
    with db.session() as s:
        got = tags.tags_for(s, project, [a, b, a])
    assert got[b] == [{"Key": "Name", "Value": "web"}, {"Key": "env", "Value": ""}]
    assert sorted((t["Key"], t["Value"]) for t in got[a]) == sorted(
        [("Name", "db"), ("name", "lower"), ("env", ""), ("env ", "trailing space"), ("ключ", "значение ✓")])


def test_set_tags_limits(db: Database, project: str) -> None:
    (a,) = _resources(db, project, n=1)
    with db.session() as s:
        tags.set_tags(s, project, [a], [{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    with db.session() as s:
        # Overwriting existing keys does not count against the limit.
        tags.set_tags(s, project, [a], [{"Key": "k0", "Value": "w"}, {"Key": "k49", "Value": "v"}])
    with db.session() as s:
        assert _code(lambda: tags.set_tags(s, project, [a], [{"Key": "one-more", "Value": ""}])) == "TagLimitExceeded"
    with db.session() as s:
        assert len(tags.tags_for(s, project, [a])[a]) == 50
    (b,) = _resources(db, project, kind="vol", n=1)
    with db.session() as s:
        assert _code(lambda: tags.set_tags(s, project, [b], [{"Key": f"k{i}"} for i in range(51)])) == "TagLimitExceeded"
        tags.set_tags(s, project, [b], [{"Key": "k" * 128, "Value": "v" * 256}])
        for bad in ({"Key": "k" * 129}, {"Key": "x", "Value": "v" * 257}, {"Key": "aws:name"}, {"Key": "AWS:x"},
                    {"Key": ""}, {"Value": "no key"}):
            assert _code(lambda bad=bad: tags.set_tags(s, project, [b], [bad])) == "InvalidParameterValue", bad
        assert tags.tags_for(s, project, [b])[b] == [{"Key": "k" * 128, "Value": "v" * 256}]


def test_set_tags_unknown_resources(db: Database, project: str) -> None:
    (a,) = _resources(db, project, n=1)
    other = _other_project()
    with db.session() as s:
        assert _code(lambda: tags.set_tags(s, project, ["not-an-id"], [{"Key": "k"}])) == "InvalidID"
        assert _code(lambda: tags.set_tags(s, project, ["i-0123456789abcdef0"], [{"Key": "k"}])) \
            == "InvalidInstanceID.NotFound"
        assert _code(lambda: tags.set_tags(s, project, ["vol-0123456789abcdef0"], [{"Key": "k"}])) \
            == "InvalidVolume.NotFound"
        # Another project cannot tag, untag or see our resource.
        assert _code(lambda: tags.set_tags(s, other, [a], [{"Key": "k"}])) == "InvalidInstanceID.NotFound"
        assert _code(lambda: tags.delete_tags(s, other, [a], None)) == "InvalidInstanceID.NotFound"
        tags.set_tags(s, project, [a], [{"Key": "k", "Value": "v"}])
        assert tags.tags_for(s, other, [a]) == {a: []}
        assert tags.list_tags(s, other) == []


def test_delete_tags_semantics(db: Database, project: str) -> None:
    (a,) = _resources(db, project, n=1)

    def reset() -> None:
        with db.session() as s:
            tags.delete_tags(s, project, [a], None)
            tags.set_tags(s, project, [a], [{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": ""},
                                            {"Key": "k3", "Value": "v3"}])

    def keys() -> list[str]:
        with db.session() as s:
            return [t["Key"] for t in tags.tags_for(s, project, [a])[a]]

    cases = [
        ([{"Key": "k1"}], ["k2", "k3"]),                                   # key only: whatever the value
        ([{"Key": "k1", "Value": "v1"}], ["k2", "k3"]),                    # value matches
        ([{"Key": "k1", "Value": "other"}], ["k1", "k2", "k3"]),           # value differs: kept
        ([{"Key": "k1", "Value": ""}], ["k1", "k2", "k3"]),                # "" matches only ""
        ([{"Key": "k2", "Value": ""}], ["k1", "k3"]),
        ([{"Key": "k1"}, {"Key": "k3", "Value": "v3"}], ["k2"]),
        ([{"Key": "missing"}], ["k1", "k2", "k3"]),
        (None, []),                                                        # no tags: all
        ([], []),
    ]
    for spec, left in cases:
        reset()
        with db.session() as s:
            tags.delete_tags(s, project, [a], spec)
        assert keys() == left, spec


def test_tags_for_is_one_query(db: Database, project: str) -> None:
    rids = _resources(db, project, n=300)
    with db.session() as s:
        tags.set_tags(s, project, rids, [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    with db.session() as s, StatementCounter(db.engine) as count:
        got = tags.tags_for(s, project, rids)
    assert count.selects == 1
    assert all(v == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}] for v in got.values())


def test_list_tags_filters_and_pagination(db: Database, project: str) -> None:
    instances = _resources(db, project, "i", 3)
    volumes = _resources(db, project, "vol", 2)
    with db.session() as s:
        key = ids.ec2_id(s, project, "key", "my-key")
        image = ids.ec2_id(s, project, "ami", str(uuid.uuid4()))
        tags.set_tags(s, project, instances, [{"Key": "Name", "Value": "web-1"}, {"Key": "env", "Value": "prod"}])
        tags.set_tags(s, project, volumes, [{"Key": "Name", "Value": "data"}, {"Key": "a*b", "Value": "star"}])
        tags.set_tags(s, project, [key, image], [{"Key": "name", "Value": "Web-2"}, {"Key": "a%b", "Value": "pct"}])
        everything = tags.list_tags(s, project)
        assert len(everything) == 3 * 2 + 2 * 2 + 2 * 2
        assert [(r.resource_id, r.key) for r in everything] == sorted((r.resource_id, r.key) for r in everything)
        types = {r.resource_id: r.resource_type for r in everything}
        assert types[key] == "key-pair" and types[image] == "image" and types[volumes[0]] == "volume"
        assert types[instances[0]] == "instance"

        def rows(**kw: Any) -> set[tuple[str, str]]:
            return {(r.resource_id, r.key) for r in tags.list_tags(s, project, **kw)}

        assert rows(resource_types=["volume"]) == {(v, k) for v in volumes for k in ("Name", "a*b")}
        assert rows(resource_types=["key-pair", "image"], keys=["name"]) == {(key, "name"), (image, "name")}
        assert rows(resource_ids=[instances[0]], keys=["env"]) == {(instances[0], "env")}
        assert rows(keys=["Name"]) == {(r, "Name") for r in instances + volumes}        # case-sensitive
        assert rows(values=["web*"]) == {(r, "Name") for r in instances}                # wildcard, case-sensitive
        assert rows(values=["?eb-?"]) == {(r, "Name") for r in instances} | {(key, "name"), (image, "name")}
        assert rows(keys=["a\\*b"]) == {(v, "a*b") for v in volumes}                    # escaped: literal *
        assert rows(keys=["a%b"]) == {(key, "a%b"), (image, "a%b")}                     # % is not a wildcard
        assert rows(keys=["a?b"]) == {(v, "a*b") for v in volumes} | {(key, "a%b"), (image, "a%b")}
        assert rows(keys=["Name", "env"], values=["prod", "data"]) == \
            {(r, "env") for r in instances} | {(v, "Name") for v in volumes}
        assert rows(resource_types=["snapshot"]) == set()
        assert rows(keys=[]) == set()

        # Pagination: pages of 3 anchored on the last (resource_id, key) give everything once, in order.
        pages: list[tags.TagRow] = []
        after = None
        while True:
            page = tags.list_tags(s, project, after=after, limit=3)
            pages += page
            if len(page) < 3:
                break
            after = (page[-1].resource_id, page[-1].key)
        assert pages == everything


# ---------------------------------------------------------------- idempotency

def test_idempotency_first_retry_mismatch(db: Database, project: str) -> None:
    params = {"ImageId": "ami-1", "MinCount": 1, "ClientToken": "tok", "DryRun": False}
    d = idempotency.digest(params)
    assert d == idempotency.digest({"MinCount": 1, "ImageId": "ami-1", "ClientToken": "other"})
    assert d != idempotency.digest({"ImageId": "ami-2", "MinCount": 1})
    with db.session() as s:
        assert idempotency.begin(s, project, "RunInstances", "tok", d) is None
    with db.session() as s:
        pending = idempotency.begin(s, project, "RunInstances", "tok", d)
        assert pending is not None and pending.pending and pending.result is None
    launched = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)
    result = {"ReservationId": "r-1", "Instances": [{"LaunchTime": launched, "UserData": b"\x00\xffhi"}],
              "Count": 1, "Ratio": 0.5, "Empty": None, "$t": "literal key"}
    with db.session() as s:
        idempotency.complete(s, project, "RunInstances", "tok", result)
    with db.session() as s:
        record = idempotency.begin(s, project, "RunInstances", "tok", d)
        assert record is not None and record.state == "complete" and record.result == result
        assert record.result["Instances"][0]["LaunchTime"].tzinfo is not None
        assert record.created_at.tzinfo is not None
        with pytest.raises(EC2Error) as info:
            idempotency.begin(s, project, "RunInstances", "tok", idempotency.digest({"ImageId": "ami-2"}))
        assert (info.value.code, info.value.status) == ("IdempotentParameterMismatch", 400)
        # Per project and per operation.
        assert idempotency.begin(s, _other_project(), "RunInstances", "tok", "x") is None
        assert idempotency.begin(s, project, "CreateVolume", "tok", "x") is None


def test_idempotency_abandon_and_expiry(db: Database, project: str) -> None:
    with db.session() as s:
        assert idempotency.begin(s, project, "CreateVolume", "t1", "d1") is None
    with db.session() as s:
        idempotency.abandon(s, project, "CreateVolume", "t1")
    with db.session() as s:
        assert idempotency.begin(s, project, "CreateVolume", "t1", "d2") is None     # can proceed again
        idempotency.complete(s, project, "CreateVolume", "t1", {"VolumeId": "vol-1"})
    with db.session() as s:
        idempotency.abandon(s, project, "CreateVolume", "t1")                        # completed: kept
        assert idempotency.begin(s, project, "CreateVolume", "t1", "d2").result == {"VolumeId": "vol-1"}
    later = dt.datetime.now(dt.UTC) + idempotency.TTL + dt.timedelta(minutes=1)
    with db.session() as s:
        # After 24 h the token is new again, even with other parameters.
        assert idempotency.begin(s, project, "CreateVolume", "t1", "d3", now=later) is None
        rec = idempotency.begin(s, project, "CreateVolume", "t1", "d3", now=later)
        assert rec is not None and rec.pending and rec.digest == "d3"
    with db.session() as s:
        idempotency.begin(s, project, "CreateVolume", "t-old", "d")
    with db.session() as s:
        assert idempotency.purge(s, now=later + idempotency.TTL) >= 2


def test_idempotency_stale_pending_is_taken_over(db: Database, project: str) -> None:
    """A worker died between begin() and complete(): after STALE_PENDING a retry may run again."""
    with db.session() as s:
        assert idempotency.begin(s, project, "CreateVolume", "crashed", "d") is None
    soon = dt.datetime.now(dt.UTC) + idempotency.STALE_PENDING - dt.timedelta(minutes=1)
    later = dt.datetime.now(dt.UTC) + idempotency.STALE_PENDING + dt.timedelta(minutes=1)
    with db.session() as s:
        assert idempotency.begin(s, project, "CreateVolume", "crashed", "d", now=soon).pending
        with pytest.raises(EC2Error):      # other parameters are still a mismatch
            idempotency.begin(s, project, "CreateVolume", "crashed", "other", now=later)
        assert idempotency.begin(s, project, "CreateVolume", "crashed", "d", now=later) is None
        assert idempotency.begin(s, project, "CreateVolume", "crashed", "d", now=later).pending


def test_idempotency_concurrent_begin(db: Database, project: str) -> None:
    def work(i: int) -> bool:
        with db.session() as s:
            return idempotency.begin(s, project, "RunInstances", "same", "d") is None

    assert sum(_run_threads(6, work)) == 1


# ---------------------------------------------------------------- accounts

def test_accounts(db: Database, project: str) -> None:
    other = _other_project()
    with db.session() as s:
        mine = accounts.account_id(s, project)
        assert len(mine) == 12 and mine.isdigit() and mine[0] != "0"
        assert accounts.account_id(s, project) == mine
        theirs = accounts.account_id(s, other)
        assert theirs != mine
    with db.session() as s:
        assert accounts.project_id(s, mine) == project
        assert accounts.project_id(s, theirs) == other
        assert accounts.project_id(s, "000000000000") is None
        assert accounts.project_id(s, "not-an-account") is None


def test_accounts_concurrent_first_use(db: Database, project: str) -> None:
    def work(i: int) -> str:
        with db.session() as s:
            return accounts.account_id(s, project)

    assert len(set(_run_threads(6, work))) == 1


def test_created_at_is_aware_utc(db: Database, project: str) -> None:
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    with db.session() as s:
        eid = ids.ec2_id(s, project, "snap", "s1")
    with db.session() as s:
        created = s.get(Item, eid).created_at
    assert created.tzinfo is not None and created.utcoffset() == dt.timedelta(0)
    assert before <= created <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
