"""Tags of instances terminated longer ago than AWS shows them are purged (real SQLite, no cloud)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from falcon import testing
from lxml import etree

from ec2api_runtime.app import create_app
from ec2api_runtime.config import Config
from ec2api_runtime.db import Database, ids, tags
from handlers import _lifecycle as lifecycle
from tests.unit.test_app import StubAuth, call

NS = {"e": "http://ec2.amazonaws.com/doc/2016-11-15/"}


def _terminated(db, os_id: str, ago: timedelta) -> str:
    with db.session() as s:
        iid = ids.ec2_id(s, "p1", "i", os_id)
        ids.set_data(s, "p1", iid, {"terminated": {"InstanceId": iid},
                                    "terminated_at": (datetime.now(UTC) - ago).isoformat()})
        tags.set_tags(s, "p1", [iid], [{"Key": "Name", "Value": os_id}])
    return iid


def test_expired_is_only_what_ec2api_deleted_before_the_window():
    now = datetime.now(UTC)
    data = {"i-old": {"terminated": {}, "terminated_at": (now - timedelta(hours=2)).isoformat()},
            "i-new": {"terminated": {}, "terminated_at": (now - timedelta(minutes=5)).isoformat()},
            "i-live": {"reservation": "r"}}
    assert lifecycle.expired(data, 3600, now) == ["i-old"]


def test_describe_tags_drops_and_forgets_instances_gone_for_longer_than_the_window(tmp_path):
    config = Config(database_url=f"sqlite:///{tmp_path / 'state.sqlite'}", terminated_visible_seconds=3600)
    db = Database(config.database_url)
    db.upgrade()
    client = testing.TestClient(create_app(config, db=db, authenticator=StubAuth()))
    old = _terminated(db, "srv-old", timedelta(hours=2))
    recent = _terminated(db, "srv-recent", timedelta(minutes=1))
    resp = call(client, Action="DescribeTags", Version="2016-11-15")
    assert resp.status_code == 200, resp.text
    shown = [e.text for e in etree.fromstring(resp.content).findall(".//e:resourceId", NS)]
    assert shown == [recent]
    with db.session() as s:
        assert ids.os_id(s, "p1", old) is None and ids.os_id(s, "p1", recent) == "srv-recent"
        assert json.dumps(tags.tags_for(s, "p1", [old])) == json.dumps({old: []})
