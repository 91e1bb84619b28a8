"""The unit-test kit: a migrated SQLite database, and a request context without a service.

``db`` is a real database (SQLite in the test's temporary folder, migrated to the newest schema).
``make_ctx(db, os=..., operation=...)`` gives what a handler receives from the runtime
(``RequestContext``'s attributes), with ``os`` standing for the caller's openstacksdk connection
(a fake of the calls the test expects), so that a handler's cost is one assertion on that fake.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ec2api_runtime.config import Config
from ec2api_runtime.db import Database

PROJECT = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'state.sqlite'}")
    database.upgrade()
    yield database
    database.dispose()


def make_ctx(db: Database, *, os: Any = None, operation: str = "", project_id: str = PROJECT,
             config: Config | None = None) -> SimpleNamespace:
    """A handler's request context over ``db``, acting in ``project_id`` through the fake ``os``."""
    @contextmanager
    def session() -> Iterator[Any]:
        with db.session() as s:
            yield s

    return SimpleNamespace(os=os, operation=operation, project_id=project_id, account_id="123456789012",
                           region="RegionOne", pagination_secret=b"k" * 32, session=session,
                           config=config or Config(), db=db, request_id="req-1")
