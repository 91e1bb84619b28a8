"""ids.set_data / ids.get_data_many: facts kept beside an EC2 id, scoped to the project."""

from __future__ import annotations

from ec2api_runtime.db import Database, ids


def test_data_round_trips_and_is_project_scoped(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 's.sqlite'}")
    db.upgrade()
    with db.session() as s:
        a = ids.ec2_id(s, "p1", "key", "one")
        b = ids.ec2_id(s, "p1", "key", "two")
        ids.set_data(s, "p1", a, {"fingerprint": "ab:cd", "n": 1})
        ids.set_data(s, "p2", b, {"stolen": True})   # another project's write touches nothing
    with db.session() as s:
        assert ids.get_data_many(s, "p1", [a, b]) == {a: {"fingerprint": "ab:cd", "n": 1}}
        assert ids.get_data_many(s, "p2", [a, b]) == {}
        ids.set_data(s, "p1", a, {"fingerprint": "ef"})
    with db.session() as s:
        assert ids.get_data_many(s, "p1", [a]) == {a: {"fingerprint": "ef"}}
    db.dispose()


def test_items_with_data_lists_one_kind_of_one_project(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 's.sqlite'}")
    db.upgrade()
    with db.session() as s:
        i1 = ids.ec2_id(s, "p1", "i", "server-1")
        ids.ec2_id(s, "p1", "i", "server-2")            # no data: not listed
        k = ids.ec2_id(s, "p1", "key", "k")
        i3 = ids.ec2_id(s, "p2", "i", "server-3")
        for project, ec2_id in (("p1", i1), ("p1", k), ("p2", i3)):
            ids.set_data(s, project, ec2_id, {"x": ec2_id})
    with db.session() as s:
        assert ids.items_with_data(s, "p1", "i") == {i1: ("server-1", {"x": i1})}
    db.dispose()
