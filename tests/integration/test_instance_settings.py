"""Instance settings ec2api keeps (handlers/instances/settings.py, instance_types.py): metadata
options, monitoring, maintenance options and CPU credits, through boto3 and the aws CLI; the other
project cannot change them; bad input answers AWS's codes and changes nothing."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration._kit import FAST, code_of

pytestmark = pytest.mark.cloud

DEFAULT_METADATA = {"State": "applied", "HttpTokens": "optional", "HttpPutResponseHopLimit": 1,
                    "HttpEndpoint": "enabled", "HttpProtocolIpv6": "disabled", "InstanceMetadataTags": "disabled"}


def _one(ec2, instance_id: str) -> dict:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def _launch(ec2, image_id: str, launched: list[str], instance_type: str = "t3.micro", **extra) -> str:
    marker = uuid.uuid4().hex[:8]
    instance_id = ec2.run_instances(ImageId=image_id, InstanceType=instance_type, MinCount=1, MaxCount=1,
                                    TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                        {"Key": "settings-test", "Value": marker}]}],
                                    **extra)["Instances"][0]["InstanceId"]
    launched.append(instance_id)
    return instance_id


def test_settings_are_stored_and_shown(ec2_demo, ec2_alt, image_id, launched):
    instance_id = _launch(ec2_demo, image_id, launched)
    ec2_demo.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
    live = _one(ec2_demo, instance_id)
    assert live["MetadataOptions"] == DEFAULT_METADATA
    assert live["Monitoring"] == {"State": "disabled"}
    assert live["MaintenanceOptions"]["AutoRecovery"] == "default"

    # Metadata options: the members given change, the others keep their value.
    answer = ec2_demo.modify_instance_metadata_options(InstanceId=instance_id, HttpTokens="required",
                                                       HttpPutResponseHopLimit=2)
    assert answer["InstanceId"] == instance_id
    assert answer["InstanceMetadataOptions"] == {**DEFAULT_METADATA, "HttpTokens": "required",
                                                 "HttpPutResponseHopLimit": 2}
    ec2_demo.modify_instance_metadata_options(InstanceId=instance_id, HttpEndpoint="disabled",
                                              InstanceMetadataTags="enabled")
    want = {**DEFAULT_METADATA, "HttpTokens": "required", "HttpPutResponseHopLimit": 2,
            "HttpEndpoint": "disabled", "InstanceMetadataTags": "enabled"}
    assert _one(ec2_demo, instance_id)["MetadataOptions"] == want

    # Bad input: AWS's codes, nothing changed.
    for bad in (0, 65):
        with pytest.raises(ClientError) as e:
            ec2_demo.modify_instance_metadata_options(InstanceId=instance_id, HttpPutResponseHopLimit=bad)
        assert code_of(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2_demo.modify_instance_metadata_options(InstanceId="i-123", HttpTokens="optional")
    assert code_of(e) == "InvalidInstanceID.Malformed"
    with pytest.raises(ClientError) as e:
        ec2_demo.modify_instance_metadata_options(InstanceId="i-0123456789abcdef0", HttpTokens="optional")
    assert code_of(e) == "InvalidInstanceID.NotFound"
    assert _one(ec2_demo, instance_id)["MetadataOptions"] == want

    # Monitoring: applied at once, so the answer is the new state.
    assert ec2_demo.monitor_instances(InstanceIds=[instance_id])["InstanceMonitorings"] == [
        {"InstanceId": instance_id, "Monitoring": {"State": "enabled"}}]
    assert _one(ec2_demo, instance_id)["Monitoring"] == {"State": "enabled"}
    assert ec2_demo.describe_instances(Filters=[{"Name": "instance-id", "Values": [instance_id]}])[
        "Reservations"][0]["Instances"][0]["Monitoring"] == {"State": "enabled"}
    with pytest.raises(ClientError) as e:   # one unknown id: nothing changes for the others
        ec2_demo.unmonitor_instances(InstanceIds=[instance_id, "i-0123456789abcdef0"])
    assert code_of(e) == "InvalidInstanceID.NotFound"
    assert _one(ec2_demo, instance_id)["Monitoring"] == {"State": "enabled"}
    assert ec2_demo.unmonitor_instances(InstanceIds=[instance_id])["InstanceMonitorings"][0]["Monitoring"] == {
        "State": "disabled"}
    assert _one(ec2_demo, instance_id)["Monitoring"] == {"State": "disabled"}
    with pytest.raises(ClientError) as e:   # no CloudWatch metrics to choose from
        ec2_demo.monitor_instances(InstanceIds=[instance_id], MetricCategoryIds=["default"])
    assert code_of(e) == "InvalidParameterValue"

    # Maintenance options.
    assert ec2_demo.modify_instance_maintenance_options(InstanceId=instance_id, AutoRecovery="disabled")[
        "AutoRecovery"] == "disabled"
    assert _one(ec2_demo, instance_id)["MaintenanceOptions"]["AutoRecovery"] == "disabled"
    with pytest.raises(ClientError) as e:   # this cloud schedules no maintenance events
        ec2_demo.modify_instance_maintenance_options(InstanceId=instance_id, RebootMigration="disabled")
    assert code_of(e) == "InvalidParameterValue"
    assert _one(ec2_demo, instance_id)["MaintenanceOptions"]["AutoRecovery"] == "disabled"

    # The other project can neither see nor change any of it.
    for change in (lambda: ec2_alt.modify_instance_metadata_options(InstanceId=instance_id, HttpTokens="optional"),
                   lambda: ec2_alt.monitor_instances(InstanceIds=[instance_id]),
                   lambda: ec2_alt.modify_instance_maintenance_options(InstanceId=instance_id,
                                                                       AutoRecovery="default")):
        with pytest.raises(ClientError) as e:
            change()
        assert code_of(e) == "InvalidInstanceID.NotFound"
    answer = ec2_alt.modify_instance_credit_specification(InstanceCreditSpecifications=[
        {"InstanceId": instance_id, "CpuCredits": "unlimited"}])
    assert answer["SuccessfulInstanceCreditSpecifications"] == []
    assert answer["UnsuccessfulInstanceCreditSpecifications"][0]["Error"]["Code"] == "InvalidInstanceID.NotFound"
    live = _one(ec2_demo, instance_id)
    assert live["MetadataOptions"] == want and live["Monitoring"] == {"State": "disabled"}
    assert live["MaintenanceOptions"]["AutoRecovery"] == "disabled"
    credits = ec2_demo.describe_instance_credit_specifications(InstanceIds=[instance_id])
    assert credits["InstanceCreditSpecifications"] == [{"InstanceId": instance_id, "CpuCredits": "standard"}]


def test_credit_specification_only_for_burstable_types(ec2_demo, image_id, launched):
    burstable = _launch(ec2_demo, image_id, launched, "t3.micro")
    other = _launch(ec2_demo, image_id, launched, "m5.large")
    answer = ec2_demo.modify_instance_credit_specification(InstanceCreditSpecifications=[
        {"InstanceId": burstable, "CpuCredits": "unlimited"}, {"InstanceId": other, "CpuCredits": "unlimited"},
        {"InstanceId": "i-0123456789abcdef0", "CpuCredits": "unlimited"}, {"InstanceId": "i-12", "CpuCredits": "unlimited"}])
    assert answer["SuccessfulInstanceCreditSpecifications"] == [{"InstanceId": burstable}]
    failed = {f["InstanceId"]: f["Error"]["Code"] for f in answer["UnsuccessfulInstanceCreditSpecifications"]}
    assert failed == {other: "InstanceCreditSpecification.NotSupported",
                      "i-0123456789abcdef0": "InvalidInstanceID.NotFound", "i-12": "InvalidInstanceID.Malformed"}
    shown = ec2_demo.describe_instance_credit_specifications(InstanceIds=[burstable, other])
    assert {c["InstanceId"]: c["CpuCredits"] for c in shown["InstanceCreditSpecifications"]} == {
        burstable: "unlimited", other: "standard"}
    with pytest.raises(ClientError) as e:   # not a credit option: the whole request fails, nothing changes
        ec2_demo.modify_instance_credit_specification(InstanceCreditSpecifications=[
            {"InstanceId": burstable, "CpuCredits": "lots"}])
    assert code_of(e) == "InvalidParameterValue"
    ec2_demo.modify_instance_credit_specification(InstanceCreditSpecifications=[
        {"InstanceId": burstable, "CpuCredits": "standard"}])
    shown = ec2_demo.describe_instance_credit_specifications(InstanceIds=[burstable])
    assert shown["InstanceCreditSpecifications"] == [{"InstanceId": burstable, "CpuCredits": "standard"}]


def test_run_instances_stores_the_same_settings(ec2_demo, image_id, launched):
    instance_id = _launch(ec2_demo, image_id, launched, Monitoring={"Enabled": True},
                          MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": 3},
                          MaintenanceOptions={"AutoRecovery": "disabled"},
                          CreditSpecification={"CpuCredits": "unlimited"})
    live = _one(ec2_demo, instance_id)
    assert live["Monitoring"] == {"State": "enabled"}
    assert live["MetadataOptions"] == {**DEFAULT_METADATA, "HttpTokens": "required", "HttpPutResponseHopLimit": 3}
    assert live["MaintenanceOptions"]["AutoRecovery"] == "disabled"
    assert ec2_demo.describe_instance_credit_specifications(InstanceIds=[instance_id])[
        "InstanceCreditSpecifications"] == [{"InstanceId": instance_id, "CpuCredits": "unlimited"}]
    # Checked before anything is created: no instance for a bad hop limit or unlimited credits on m5.
    marker = uuid.uuid4().hex[:8]
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "settings-bad", "Value": marker}]}]
    for bad in ({"InstanceType": "t3.micro", "MetadataOptions": {"HttpPutResponseHopLimit": 65}},
                {"InstanceType": "m5.large", "CreditSpecification": {"CpuCredits": "unlimited"}}):
        with pytest.raises(ClientError) as e:
            ec2_demo.run_instances(ImageId=image_id, MinCount=1, MaxCount=1, TagSpecifications=tags, **bad)
        assert code_of(e) in ("InvalidParameterValue", "InvalidParameterCombination")
    assert ec2_demo.describe_instances(Filters=[{"Name": "tag:settings-bad", "Values": [marker]}])[
        "Reservations"] == []


def test_launch_template_metadata_options_reach_the_instance(ec2_demo, image_id, launched):
    name = f"settings-{uuid.uuid4().hex[:8]}"
    template = ec2_demo.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={
        "ImageId": image_id, "InstanceType": "t3.micro", "Monitoring": {"Enabled": True},
        "MetadataOptions": {"HttpTokens": "required"}})["LaunchTemplate"]
    try:
        instance_id = ec2_demo.run_instances(LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"]},
                                             MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        launched.append(instance_id)
        live = _one(ec2_demo, instance_id)
        assert live["MetadataOptions"]["HttpTokens"] == "required" and live["Monitoring"]["State"] == "enabled"
        # And back: GetLaunchTemplateData carries the settings kept since, for a template to launch with.
        ec2_demo.modify_instance_maintenance_options(InstanceId=instance_id, AutoRecovery="disabled")
        ec2_demo.modify_instance_credit_specification(InstanceCreditSpecifications=[
            {"InstanceId": instance_id, "CpuCredits": "unlimited"}])
        data = ec2_demo.get_launch_template_data(InstanceId=instance_id)["LaunchTemplateData"]
        assert data["MetadataOptions"]["HttpTokens"] == "required" and data["Monitoring"] == {"Enabled": True}
        assert data["MaintenanceOptions"] == {"AutoRecovery": "disabled"}
        assert data["CreditSpecification"] == {"CpuCredits": "unlimited"}
        version = ec2_demo.create_launch_template_version(
            LaunchTemplateId=template["LaunchTemplateId"],
            LaunchTemplateData={k: data[k] for k in ("ImageId", "InstanceType", "MetadataOptions", "Monitoring",
                                                      "MaintenanceOptions", "CreditSpecification")})
        assert version["LaunchTemplateVersion"]["VersionNumber"] == 2
    finally:
        ec2_demo.delete_launch_template(LaunchTemplateId=template["LaunchTemplateId"])


def test_aws_cli(aws_cli, ec2_demo, image_id, launched):
    instance_id = _launch(ec2_demo, image_id, launched)
    out = aws_cli("demo", "modify-instance-metadata-options", "--instance-id", instance_id,
                  "--http-tokens", "required", "--http-put-response-hop-limit", "5")
    assert out["InstanceMetadataOptions"]["HttpTokens"] == "required"
    assert aws_cli("demo", "monitor-instances", "--instance-ids", instance_id)["InstanceMonitorings"][0][
        "Monitoring"]["State"] == "enabled"
    aws_cli("demo", "modify-instance-maintenance-options", "--instance-id", instance_id, "--auto-recovery", "disabled")
    aws_cli("demo", "modify-instance-credit-specification", "--instance-credit-specification",
            f"InstanceId={instance_id},CpuCredits=unlimited")
    shown = aws_cli("demo", "describe-instances", "--instance-ids", instance_id)["Reservations"][0]["Instances"][0]
    assert shown["MetadataOptions"]["HttpPutResponseHopLimit"] == 5 and shown["Monitoring"]["State"] == "enabled"
    assert shown["MaintenanceOptions"]["AutoRecovery"] == "disabled"
    assert aws_cli("demo", "describe-instance-credit-specifications", "--instance-ids", instance_id)[
        "InstanceCreditSpecifications"][0]["CpuCredits"] == "unlimited"
    aws_cli("demo", "unmonitor-instances", "--instance-ids", instance_id)
    failed = aws_cli("demo", "modify-instance-metadata-options", "--instance-id", instance_id,
                     "--http-put-response-hop-limit", "100", check=False)
    assert failed.returncode != 0 and "InvalidParameterValue" in failed.stderr


def test_a_terminated_instance_cannot_change(ec2_demo, image_id, launched):
    instance_id = _launch(ec2_demo, image_id, launched)
    ec2_demo.terminate_instances(InstanceIds=[instance_id])
    ec2_demo.get_waiter("instance_terminated").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
    for change in (lambda: ec2_demo.modify_instance_metadata_options(InstanceId=instance_id, HttpTokens="required"),
                   lambda: ec2_demo.monitor_instances(InstanceIds=[instance_id]),
                   lambda: ec2_demo.modify_instance_maintenance_options(InstanceId=instance_id,
                                                                        AutoRecovery="disabled")):
        with pytest.raises(ClientError) as e:
            change()
        assert code_of(e) == "IncorrectInstanceState"
    answer = ec2_demo.modify_instance_credit_specification(InstanceCreditSpecifications=[
        {"InstanceId": instance_id, "CpuCredits": "unlimited"}])
    assert answer["UnsuccessfulInstanceCreditSpecifications"][0]["Error"]["Code"] == "IncorrectInstanceState"
