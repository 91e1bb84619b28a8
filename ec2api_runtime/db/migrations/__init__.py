"""Alembic migrations of ec2api's schema, run programmatically (no alembic.ini needed).

``Database(url).upgrade()`` and ``ec2api db upgrade`` call ``upgrade``. To write a new revision
(developers)::

    python -c "from ec2api_runtime.db.migrations import revision; revision('sqlite:///.cache/rev.db', 'add x')"
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

HERE = Path(__file__).resolve().parent


def config() -> Config:
    """An Alembic ``Config`` pointing at this package (the connection goes in ``attributes``)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision``."""
    cfg = config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def revision(url: str, message: str) -> None:
    """Autogenerate a new revision against a database upgraded to head (a developer tool)."""
    from ec2api_runtime.db.engine import Database

    db = Database(url)
    db.upgrade()
    cfg = config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)
