"""Launch templates in ec2api's database: versions, defaults, deletion, describe, the data check."""

from __future__ import annotations

from typing import Any

import pytest

from ec2api_runtime.db import Database
from ec2api_runtime.dispatch import load_handlers
from ec2api_runtime.errors import EC2Error
from handlers import _launch_templates as lt
from tests.unit.conftest import make_ctx

HANDLERS = load_handlers()


def call(db: Database, op: str, project_id: str | None = None, **params: Any) -> Any:
    kwargs = {"project_id": project_id} if project_id else {}
    ctx = make_ctx(db, operation=op, **kwargs)
    h = HANDLERS[op]
    h.refuse_unhonoured(params)
    return h.fn(ctx, params)


def _make(db: Database, name: str = "web", **data: Any) -> dict:
    return call(db, "CreateLaunchTemplate", LaunchTemplateName=name, VersionDescription="first",
                LaunchTemplateData={"ImageId": "ami-0123456789abcdef0", "InstanceType": "t3.micro", **data},
                TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "team", "Value": "a"}]}]
                )["LaunchTemplate"]


def test_create_describe_and_duplicate_name(db: Database) -> None:
    made = _make(db)
    assert made["LaunchTemplateId"].startswith("lt-") and made["DefaultVersionNumber"] == 1
    assert made["Tags"] == [{"Key": "team", "Value": "a"}]
    with pytest.raises(EC2Error) as e:
        _make(db)
    assert e.value.code == "InvalidLaunchTemplateName.AlreadyExistsException"
    found = call(db, "DescribeLaunchTemplates", LaunchTemplateNames=["web"])["LaunchTemplates"]
    assert [t["LaunchTemplateId"] for t in found] == [made["LaunchTemplateId"]]
    by_tag = call(db, "DescribeLaunchTemplates", Filters=[{"Name": "tag:team", "Values": ["a"]}])
    assert len(by_tag["LaunchTemplates"]) == 1
    with pytest.raises(EC2Error) as e:
        call(db, "DescribeLaunchTemplates", LaunchTemplateIds=["lt-0123456789abcdef0"])
    assert e.value.code == "InvalidLaunchTemplateId.NotFound"
    with pytest.raises(EC2Error) as e:
        call(db, "DescribeLaunchTemplates", LaunchTemplateIds=["lt-nope"])
    assert e.value.code == "InvalidLaunchTemplateId.Malformed"
    # Another project neither sees it nor clashes with its name.
    other = "fedcba9876543210fedcba9876543210"
    assert call(db, "DescribeLaunchTemplates", project_id=other)["LaunchTemplates"] == []
    call(db, "CreateLaunchTemplate", project_id=other, LaunchTemplateName="web", LaunchTemplateData={})
    with pytest.raises(EC2Error):
        call(db, "DeleteLaunchTemplate", project_id=other, LaunchTemplateId=made["LaunchTemplateId"])


def test_unhonoured_template_data_is_refused_at_create(db: Database) -> None:
    with pytest.raises(EC2Error) as e:
        _make(db, CpuOptions={"CoreCount": 2})
    assert e.value.code == "InvalidParameterValue" and "LaunchTemplateData.CpuOptions" in e.value.message
    with pytest.raises(EC2Error) as e:
        _make(db, EnclaveOptions={"Enabled": True})   # Monitoring is stored by RunInstances now
    assert "LaunchTemplateData.EnclaveOptions.Enabled" in e.value.message
    with pytest.raises(EC2Error) as e:
        _make(db, RamDiskId="ari-0123456789abcdef0")
    assert "LaunchTemplateData.RamDiskId" in e.value.message
    with pytest.raises(EC2Error) as e:
        _make(db, ImageId="resolve:ssm:/aws/service/ami")
    with pytest.raises(EC2Error) as e:
        _make(db, TagSpecifications=[{"ResourceType": "network-interface", "Tags": [{"Key": "k", "Value": "v"}]}])
    assert call(db, "DescribeLaunchTemplates")["LaunchTemplates"] == []   # nothing half-made


def test_versions_source_merge_default_and_delete(db: Database) -> None:
    made = _make(db, KeyName="k1")
    tid = made["LaunchTemplateId"]
    v2 = call(db, "CreateLaunchTemplateVersion", LaunchTemplateId=tid, SourceVersion="1",
              VersionDescription="bigger", LaunchTemplateData={"InstanceType": "m1.small"})["LaunchTemplateVersion"]
    assert v2["VersionNumber"] == 2 and v2["DefaultVersion"] is False
    assert v2["LaunchTemplateData"] == {"ImageId": "ami-0123456789abcdef0", "InstanceType": "m1.small", "KeyName": "k1"}
    v3 = call(db, "CreateLaunchTemplateVersion", LaunchTemplateName="web",
              LaunchTemplateData={"ImageId": "ami-0123456789abcdef1"})["LaunchTemplateVersion"]
    assert v3["LaunchTemplateData"] == {"ImageId": "ami-0123456789abcdef1"}   # no source: only what was given
    latest = call(db, "DescribeLaunchTemplateVersions", LaunchTemplateId=tid, Versions=["$Latest"])
    assert [v["VersionNumber"] for v in latest["LaunchTemplateVersions"]] == [3]
    ranged = call(db, "DescribeLaunchTemplateVersions", LaunchTemplateId=tid, MinVersion="2", MaxVersion="3")
    assert [v["VersionNumber"] for v in ranged["LaunchTemplateVersions"]] == [3, 2]
    typed = call(db, "DescribeLaunchTemplateVersions", LaunchTemplateId=tid,
                 Filters=[{"Name": "instance-type", "Values": ["m1.small"]}])
    assert [v["VersionNumber"] for v in typed["LaunchTemplateVersions"]] == [2]
    modified = call(db, "ModifyLaunchTemplate", LaunchTemplateId=tid, DefaultVersion="2")["LaunchTemplate"]
    assert modified["DefaultVersionNumber"] == 2 and modified["LatestVersionNumber"] == 3
    default = call(db, "DescribeLaunchTemplateVersions", Versions=["$Default"])["LaunchTemplateVersions"]
    assert [(v["VersionNumber"], v["DefaultVersion"]) for v in default] == [(2, True)]
    deleted = call(db, "DeleteLaunchTemplateVersions", LaunchTemplateId=tid, Versions=["1", "2", "9"])
    assert [d["VersionNumber"] for d in deleted["SuccessfullyDeletedLaunchTemplateVersions"]] == [1]
    errors = {e["VersionNumber"]: e["ResponseError"]["Code"] for e in deleted["UnsuccessfullyDeletedLaunchTemplateVersions"]}
    assert errors == {2: "unexpectedError", 9: "launchTemplateVersionDoesNotExist"}
    with pytest.raises(EC2Error) as e:
        call(db, "DescribeLaunchTemplateVersions", LaunchTemplateId=tid, Versions=["1"])
    assert e.value.code == "InvalidLaunchTemplateId.VersionNotFound"
    with pytest.raises(EC2Error) as e:
        call(db, "DescribeLaunchTemplateVersions", Versions=["2"])
    assert e.value.code == "InvalidParameterCombination"
    call(db, "DeleteLaunchTemplate", LaunchTemplateName="web")
    assert call(db, "DescribeLaunchTemplates")["LaunchTemplates"] == []


def test_merge_request_over_template(db: Database) -> None:
    _make(db, KeyName="k1", TagSpecifications=[{"ResourceType": "instance", "Tags": [
        {"Key": "a", "Value": "template"}, {"Key": "b", "Value": "template"}]}])
    ctx = make_ctx(db, operation="RunInstances")
    merged = lt.merged_run_params(ctx, {"LaunchTemplate": {"LaunchTemplateName": "web", "Version": "$Latest"},
                                        "MinCount": 1, "MaxCount": 1, "InstanceType": "m1.small",
                                        "TagSpecifications": [{"ResourceType": "instance",
                                                               "Tags": [{"Key": "b", "Value": "request"}]}]})
    assert merged["ImageId"] == "ami-0123456789abcdef0" and merged["KeyName"] == "k1"
    assert merged["InstanceType"] == "m1.small" and "LaunchTemplate" not in merged
    assert merged["TagSpecifications"] == [{"ResourceType": "instance", "Tags": [
        {"Key": "a", "Value": "template"}, {"Key": "b", "Value": "request"}]}]
    with pytest.raises(EC2Error) as e:
        lt.merged_run_params(ctx, {"LaunchTemplate": {"LaunchTemplateName": "web", "Version": "7"},
                                   "MinCount": 1, "MaxCount": 1})
    assert e.value.code == "InvalidLaunchTemplateId.VersionNotFound"


def test_versions_page(db: Database) -> None:
    tid = _make(db)["LaunchTemplateId"]
    for _ in range(6):
        call(db, "CreateLaunchTemplateVersion", LaunchTemplateId=tid, LaunchTemplateData={})
    page = call(db, "DescribeLaunchTemplateVersions", LaunchTemplateId=tid, MaxResults=5)
    assert [v["VersionNumber"] for v in page["LaunchTemplateVersions"]] == [7, 6, 5, 4, 3]
    rest = call(db, "DescribeLaunchTemplateVersions", LaunchTemplateId=tid, MaxResults=5, NextToken=page["NextToken"])
    assert [v["VersionNumber"] for v in rest["LaunchTemplateVersions"]] == [2, 1] and "NextToken" not in rest
