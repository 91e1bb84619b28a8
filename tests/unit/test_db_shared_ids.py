"""Ids of the shared scope (AMI ids): one id for every project, tags per project."""

from __future__ import annotations

import pytest

from ec2api_runtime.db import Database, ids, tags
from ec2api_runtime.errors import EC2Error


def test_shared_id_is_taggable_by_each_project_separately(db: Database) -> None:
    with db.session() as s:
        ami = ids.ec2_id(s, ids.SHARED_SCOPE, "ami", "glance-1")
        tags.set_tags(s, "p1", [ami], [{"Key": "k", "Value": "one"}])
        tags.set_tags(s, "p2", [ami], [{"Key": "k", "Value": "two"}])
    with db.session() as s:
        assert tags.tags_for(s, "p1", [ami]) == {ami: [{"Key": "k", "Value": "one"}]}
        assert tags.tags_for(s, "p2", [ami]) == {ami: [{"Key": "k", "Value": "two"}]}
        assert [r.resource_type for r in tags.list_tags(s, "p1")] == ["image"]
        tags.delete_tags(s, "p1", [ami])
        assert tags.tags_for(s, "p1", [ami]) == {ami: []}
        assert tags.tags_for(s, "p2", [ami]) == {ami: [{"Key": "k", "Value": "two"}]}


def test_project_ids_stay_private(db: Database) -> None:
    with db.session() as s:
        vol = ids.ec2_id(s, "p1", "vol", "cinder-1")
        with pytest.raises(EC2Error) as info:
            tags.set_tags(s, "p2", [vol], [{"Key": "k", "Value": "v"}])
        assert info.value.code == "InvalidVolume.NotFound"


def test_forgetting_a_shared_id_drops_every_projects_tags(db: Database) -> None:
    with db.session() as s:
        ami = ids.ec2_id(s, ids.SHARED_SCOPE, "ami", "glance-2")
        tags.set_tags(s, "p1", [ami], [{"Key": "k", "Value": "v"}])
        tags.set_tags(s, "p2", [ami], [{"Key": "k", "Value": "v"}])
    with db.session() as s:
        ids.forget(s, ids.SHARED_SCOPE, [ami])
    with db.session() as s:
        assert tags.count(s, "p1") == 0 and tags.count(s, "p2") == 0
        assert ids.os_id(s, ids.SHARED_SCOPE, ami) is None


def test_purge_drops_every_projects_tags_and_keeps_the_id(db: Database) -> None:
    with db.session() as s:
        ami = ids.ec2_id(s, ids.SHARED_SCOPE, "ami", "glance-3")
        other = ids.ec2_id(s, ids.SHARED_SCOPE, "ami", "glance-4")
        for project in ("p1", "p2"):
            tags.set_tags(s, project, [ami, other], [{"Key": "k", "Value": "v"}])
    with db.session() as s:
        tags.purge(s, [ami])
    with db.session() as s:
        assert tags.tags_for(s, "p1", [ami, other]) == {ami: [], other: [{"Key": "k", "Value": "v"}]}
        assert tags.tags_for(s, "p2", [ami]) == {ami: []}
        assert ids.os_id(s, ids.SHARED_SCOPE, ami) == "glance-3"
