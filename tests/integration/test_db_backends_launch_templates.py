"""Launch templates (migration 0004) on every database backend: SQLite, MariaDB, PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from ec2api_runtime.db import Database
from ec2api_runtime.errors import EC2Error
from handlers import _launch_templates as lt
from tests.integration.test_db_backends import (  # noqa: F401 - fixtures
    db,
    mysql_admin_url,
    pg_admin_url,
    project,
)

NOW = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)


def test_templates_versions_and_names(db: Database, project: str) -> None:  # noqa: F811
    with db.session() as s:
        row = lt.create(s, project, "web", "arn", {"InstanceType": "t3.micro"}, "v1", NOW)
        tid = row.ec2_id
    with db.session() as s:
        template = lt.find(s, project, tid, None)
        lt.add_version(s, template, "arn", {"InstanceType": "t3.small"}, None, NOW)
        assert template.latest_version == 2
    with db.session() as s:
        template = lt.find(s, project, None, "web")
        assert sorted(v.version for v in lt.versions(s, [tid])) == [1, 2]
        assert lt.find(s, project, tid, None).created_at == NOW
    with pytest.raises(EC2Error) as e, db.session() as s:
        lt.create(s, project, "web", "arn", {}, None, NOW)
    assert e.value.code == "InvalidLaunchTemplateName.AlreadyExistsException"
    with db.session() as s:
        lt.drop(s, project, lt.find(s, project, tid, None))
    with pytest.raises(EC2Error), db.session() as s:
        lt.find(s, project, tid, None)
