"""Alembic: the initial migration creates exactly the models' schema (``alembic check`` on SQLite)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from ec2api_runtime.db import Database
from ec2api_runtime.db.migrations import config, current
from ec2api_runtime.db.models import Base


def test_single_head_and_linear_history() -> None:
    script = ScriptDirectory.from_config(config())
    assert script.get_heads() == ["0004"]
    assert [r.revision for r in script.walk_revisions()] == ["0004", "0003", "0002", "0001"]


def test_migrated_schema_equals_models(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.sqlite'}")
    db.upgrade()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    # The same through Alembic's own `check` command (raises when autogenerate finds changes).
    cfg = config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)
    db.dispose()


def test_upgrade_downgrade_upgrade(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'sub' / 'dir' / 'm.sqlite'}")    # parent dirs are created
    assert current(db.engine) is None
    db.upgrade()
    assert current(db.engine) == "0004"
    cfg = config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(sa.inspect(db.engine).get_table_names()) == {"alembic_version"}
    db.upgrade()
    db.upgrade()
    assert {"items", "tags", "idempotency", "accounts"} <= set(sa.inspect(db.engine).get_table_names())
    db.dispose()


def test_migrations_ship_inside_the_package() -> None:
    import ec2api_runtime.db.migrations as migrations

    here = Path(migrations.__file__).parent
    assert (here / "env.py").is_file()
    assert (here / "versions" / "0001_initial.py").is_file()
    assert (here / "script.py.mako").is_file()
