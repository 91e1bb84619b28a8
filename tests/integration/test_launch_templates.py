"""Launch templates through boto3 and the aws CLI: two versions, launches from $Default and $Latest
with overrides, GetLaunchTemplateData back from the instance, and another project's view."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration._kit import FAST, code_of

pytestmark = pytest.mark.cloud


@pytest.fixture
def template(ec2_demo, image_id):
    """A template of two versions: 1 (t3.micro, the default), 2 (t3.small, from 1)."""
    name = f"lt-test-{uuid.uuid4().hex[:8]}"
    made = ec2_demo.create_launch_template(
        LaunchTemplateName=name, VersionDescription="v1",
        LaunchTemplateData={"ImageId": image_id, "InstanceType": "t3.micro",
                            "UserData": base64.b64encode(b"#!/bin/sh\necho v1\n").decode(),
                            "TagSpecifications": [{"ResourceType": "instance",
                                                   "Tags": [{"Key": "from", "Value": "template"}]}]},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "marker", "Value": name}]}],
    )["LaunchTemplate"]
    ec2_demo.create_launch_template_version(LaunchTemplateId=made["LaunchTemplateId"], SourceVersion="1",
                                            VersionDescription="v2", LaunchTemplateData={"InstanceType": "t3.small"})
    yield made
    try:
        ec2_demo.delete_launch_template(LaunchTemplateId=made["LaunchTemplateId"])
    except ClientError:
        pass


def test_two_versions_and_launches(ec2_demo, ec2_alt, template, launched, image_id):
    tid = template["LaunchTemplateId"]
    described = ec2_demo.describe_launch_templates(LaunchTemplateIds=[tid])["LaunchTemplates"][0]
    assert described["DefaultVersionNumber"] == 1 and described["LatestVersionNumber"] == 2
    assert {"Key": "marker", "Value": template["LaunchTemplateName"]} in described["Tags"]
    versions = ec2_demo.describe_launch_template_versions(LaunchTemplateId=tid)["LaunchTemplateVersions"]
    assert [(v["VersionNumber"], v["LaunchTemplateData"]["InstanceType"]) for v in versions] == [
        (2, "t3.small"), (1, "t3.micro")]
    # $Default (version 1) with an override of the tags; $Latest (version 2) with another type.
    first = ec2_demo.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": tid},
                                   TagSpecifications=[{"ResourceType": "instance",
                                                       "Tags": [{"Key": "from", "Value": "request"}]}])
    launched.append(first["Instances"][0]["InstanceId"])
    second = ec2_demo.run_instances(MinCount=1, MaxCount=1, InstanceType="t3.nano",
                                    LaunchTemplate={"LaunchTemplateName": template["LaunchTemplateName"],
                                                    "Version": "$Latest"})
    launched.append(second["Instances"][0]["InstanceId"])
    third = ec2_demo.run_instances(MinCount=1, MaxCount=1,
                                   LaunchTemplate={"LaunchTemplateId": tid, "Version": "$Latest"})
    launched.append(third["Instances"][0]["InstanceId"])
    ec2_demo.get_waiter("instance_running").wait(InstanceIds=launched, WaiterConfig=FAST)
    found = {i["InstanceId"]: i for r in ec2_demo.describe_instances(InstanceIds=launched)["Reservations"]
             for i in r["Instances"]}
    assert found[launched[0]]["InstanceType"] == "t3.micro" and found[launched[0]]["ImageId"] == image_id
    assert {"Key": "from", "Value": "request"} in found[launched[0]]["Tags"]
    assert found[launched[1]]["InstanceType"] == "t3.nano"          # the request's override
    assert {"Key": "from", "Value": "template"} in found[launched[1]]["Tags"]
    assert found[launched[2]]["InstanceType"] == "t3.small"         # $Latest

    data = ec2_demo.get_launch_template_data(InstanceId=launched[2])["LaunchTemplateData"]
    assert data["ImageId"] == image_id and data["InstanceType"] == "t3.small"
    assert base64.b64decode(data["UserData"]) == b"#!/bin/sh\necho v1\n"
    # What GetLaunchTemplateData answers is a template's data as it is.
    copy = ec2_demo.create_launch_template(LaunchTemplateName=template["LaunchTemplateName"] + "-copy",
                                           LaunchTemplateData=data)["LaunchTemplate"]
    ec2_demo.delete_launch_template(LaunchTemplateId=copy["LaunchTemplateId"])

    # Another project sees nothing of it, by id, name or filter, and cannot launch from it.
    with pytest.raises(ClientError) as e:
        ec2_alt.describe_launch_templates(LaunchTemplateIds=[tid])
    assert code_of(e) == "InvalidLaunchTemplateId.NotFound"
    assert ec2_alt.describe_launch_templates(Filters=[{"Name": "launch-template-name",
                                                       "Values": [template["LaunchTemplateName"]]}])[
        "LaunchTemplates"] == []
    with pytest.raises(ClientError) as e:
        ec2_alt.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": tid})
    assert code_of(e) == "InvalidLaunchTemplateId.NotFound"
    with pytest.raises(ClientError) as e:
        ec2_alt.delete_launch_template(LaunchTemplateId=tid)
    assert code_of(e) == "InvalidLaunchTemplateId.NotFound"


def test_refusals_and_errors(ec2_demo, template, image_id):
    tid = template["LaunchTemplateId"]
    with pytest.raises(ClientError) as e:
        ec2_demo.create_launch_template(LaunchTemplateName=template["LaunchTemplateName"],
                                        LaunchTemplateData={"InstanceType": "t3.micro"})
    assert code_of(e) == "InvalidLaunchTemplateName.AlreadyExistsException"
    with pytest.raises(ClientError) as e:
        ec2_demo.create_launch_template(LaunchTemplateName=f"x-{uuid.uuid4().hex[:8]}",
                                        LaunchTemplateData={"ImageId": image_id, "CpuOptions": {"CoreCount": 1}})
    assert code_of(e) == "InvalidParameterValue" and "LaunchTemplateData.CpuOptions" in str(e.value)
    with pytest.raises(ClientError) as e:
        ec2_demo.create_launch_template_version(LaunchTemplateId=tid, LaunchTemplateData={
            "EnclaveOptions": {"Enabled": True}})   # (Monitoring is stored by RunInstances now)
    assert "LaunchTemplateData.EnclaveOptions.Enabled" in str(e.value)
    # A request member RunInstances refuses is refused with a template too.
    with pytest.raises(ClientError) as e:
        ec2_demo.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": tid},
                               CpuOptions={"CoreCount": 1})
    assert code_of(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2_demo.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": tid, "Version": "9"})
    assert code_of(e) == "InvalidLaunchTemplateId.VersionNotFound"
    ec2_demo.modify_launch_template(LaunchTemplateId=tid, DefaultVersion="2")
    out = ec2_demo.delete_launch_template_versions(LaunchTemplateId=tid, Versions=["1", "2"])
    assert [v["VersionNumber"] for v in out["SuccessfullyDeletedLaunchTemplateVersions"]] == [1]
    assert out["UnsuccessfullyDeletedLaunchTemplateVersions"][0]["VersionNumber"] == 2


def test_aws_cli(aws_cli, image_id):
    name = f"lt-cli-{uuid.uuid4().hex[:8]}"
    made = aws_cli("demo", "create-launch-template", "--launch-template-name", name, "--launch-template-data",
                   json.dumps({"ImageId": image_id, "InstanceType": "t3.micro"}))["LaunchTemplate"]
    try:
        aws_cli("demo", "create-launch-template-version", "--launch-template-name", name, "--source-version", "1",
                "--launch-template-data", json.dumps({"InstanceType": "t3.small"}))
        aws_cli("demo", "modify-launch-template", "--launch-template-id", made["LaunchTemplateId"],
                "--default-version", "2")
        latest = aws_cli("demo", "describe-launch-template-versions", "--launch-template-id",
                         made["LaunchTemplateId"], "--versions", "$Default")["LaunchTemplateVersions"]
        assert [(v["VersionNumber"], v["LaunchTemplateData"]["InstanceType"]) for v in latest] == [(2, "t3.small")]
        listed = aws_cli("demo", "describe-launch-templates", "--launch-template-names", name)["LaunchTemplates"]
        assert listed[0]["DefaultVersionNumber"] == 2
        # The CLI's paginator pages the versions.
        paged = aws_cli("demo", "describe-launch-template-versions", "--launch-template-id",
                        made["LaunchTemplateId"], "--page-size", "5")["LaunchTemplateVersions"]
        assert [v["VersionNumber"] for v in paged] == [2, 1]
    finally:
        aws_cli("demo", "delete-launch-template", "--launch-template-id", made["LaunchTemplateId"])
