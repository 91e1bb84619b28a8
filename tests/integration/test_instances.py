"""The EC2 compute lifecycle on Nova, through the real service, with boto3 waiters and the aws CLI."""

from __future__ import annotations

import base64
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration._kit import FAST, code_of

pytestmark = pytest.mark.cloud


@pytest.fixture(scope="module")
def key_name(ec2_demo):
    name = f"inst-{uuid.uuid4().hex[:8]}"
    ec2_demo.create_key_pair(KeyName=name)
    yield name
    ec2_demo.delete_key_pair(KeyName=name)


def _instances(ec2, **kwargs) -> list[dict]:
    return [i for r in ec2.describe_instances(**kwargs)["Reservations"] for i in r["Instances"]]


def _terminate(ec2, instance_ids):
    if instance_ids:
        ec2.terminate_instances(InstanceIds=instance_ids)


def test_instance_lifecycle(ec2_demo, image_id, key_name, cloud_info):
    marker = uuid.uuid4().hex[:8]
    user_data = f"#!/bin/sh\necho hello {marker}\n"
    run = ec2_demo.run_instances(
        ImageId=image_id, InstanceType="t3.micro", MinCount=1, MaxCount=1, KeyName=key_name, UserData=user_data,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"web-{marker}"},
                                                                 {"Key": "marker", "Value": marker}]}])
    instance = run["Instances"][0]
    instance_id = instance["InstanceId"]
    try:
        assert run["ReservationId"].startswith("r-") and run["OwnerId"].isdigit() and len(run["OwnerId"]) == 12
        assert instance_id.startswith("i-") and instance["State"]["Name"] == "pending"
        assert instance["ImageId"] == image_id and instance["KeyName"] == key_name
        ec2_demo.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=FAST)

        found = _instances(ec2_demo, InstanceIds=[instance_id])
        assert len(found) == 1
        live = found[0]
        assert live["State"] == {"Code": 16, "Name": "running"}
        assert live["InstanceType"] == "t3.micro" and live["KeyName"] == key_name
        assert live["PrivateIpAddress"] and live["VpcId"].startswith("vpc-") and live["SubnetId"].startswith("subnet-")
        assert live["Placement"]["AvailabilityZone"]
        assert {"Key": "marker", "Value": marker} in live["Tags"]
        assert live["LaunchTime"].tzinfo is not None
        assert live["SecurityGroups"] and live["NetworkInterfaces"][0]["NetworkInterfaceId"].startswith("eni-")

        by_filter = {
            "tag:marker": [marker], "instance-state-name": ["running"], "instance-type": ["t3.micro"],
            "key-name": [key_name], "image-id": [image_id], "vpc-id": [live["VpcId"]],
            "subnet-id": [live["SubnetId"]], "private-ip-address": [live["PrivateIpAddress"]],
            "availability-zone": [live["Placement"]["AvailabilityZone"]],
            "availabilityZone": [live["Placement"]["AvailabilityZone"]], "instance-id": [instance_id],
            "tag-key": ["marker"], "tag-value": [marker], "instance-state-code": ["16"],
        }
        for name, values in by_filter.items():
            ids = [i["InstanceId"] for i in _instances(ec2_demo, Filters=[{"Name": name, "Values": values}])]
            assert instance_id in ids, name
        assert instance_id not in [i["InstanceId"] for i in _instances(
            ec2_demo, Filters=[{"Name": "tag:marker", "Values": ["other"]}])]

        attr = ec2_demo.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
        assert base64.b64decode(attr["UserData"]["Value"]).decode() == user_data
        for attribute in ("instanceInitiatedShutdownBehavior", "disableApiStop", "disableApiTermination"):
            ec2_demo.describe_instance_attribute(InstanceId=instance_id, Attribute=attribute)
        console = ec2_demo.get_console_output(InstanceId=instance_id)
        assert console["InstanceId"] == instance_id and "Output" in console

        status = ec2_demo.describe_instance_status(InstanceIds=[instance_id])["InstanceStatuses"]
        assert status[0]["InstanceState"]["Name"] == "running"
        for waiter in ("instance_exists", "instance_status_ok", "system_status_ok"):
            ec2_demo.get_waiter(waiter).wait(InstanceIds=[instance_id], WaiterConfig=FAST)

        stopped = ec2_demo.stop_instances(InstanceIds=[instance_id])["StoppingInstances"][0]
        assert stopped["PreviousState"]["Name"] == "running"
        assert stopped["CurrentState"]["Name"] in ("stopping", "stopped")
        ec2_demo.get_waiter("instance_stopped").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
        # Status checks cover running instances only, unless all are asked for (as on AWS).
        assert ec2_demo.describe_instance_status(InstanceIds=[instance_id])["InstanceStatuses"] == []
        (stopped_status,) = ec2_demo.describe_instance_status(InstanceIds=[instance_id],
                                                               IncludeAllInstances=True)["InstanceStatuses"]
        assert stopped_status["InstanceState"]["Name"] == "stopped"
        assert stopped_status["InstanceStatus"]["Status"] == "not-applicable"

        ec2_demo.modify_instance_attribute(InstanceId=instance_id, InstanceType={"Value": "t3.small"})
        assert _instances(ec2_demo, InstanceIds=[instance_id])[0]["InstanceType"] == "t3.small"

        started = ec2_demo.start_instances(InstanceIds=[instance_id])["StartingInstances"][0]
        assert started["PreviousState"]["Name"] == "stopped"
        ec2_demo.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
        ec2_demo.reboot_instances(InstanceIds=[instance_id])

        ec2_demo.modify_instance_attribute(InstanceId=instance_id, DisableApiTermination={"Value": True})
        with pytest.raises(ClientError) as e:
            ec2_demo.terminate_instances(InstanceIds=[instance_id])
        assert code_of(e) == "OperationNotPermitted"
        ec2_demo.modify_instance_attribute(InstanceId=instance_id, DisableApiTermination={"Value": False})
    finally:
        _terminate(ec2_demo, [instance_id])
    ec2_demo.get_waiter("instance_terminated").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
    gone = _instances(ec2_demo, InstanceIds=[instance_id])[0]
    assert gone["State"] == {"Code": 48, "Name": "terminated"}
    with pytest.raises(ClientError) as e:
        ec2_demo.start_instances(InstanceIds=[instance_id])
    assert code_of(e) == "IncorrectInstanceState"
    again = ec2_demo.terminate_instances(InstanceIds=[instance_id])["TerminatingInstances"][0]
    assert again["CurrentState"]["Name"] == "terminated"


def test_one_reservation_and_idempotency(ec2_demo, image_id):
    token = uuid.uuid4().hex
    first = ec2_demo.run_instances(ImageId=image_id, InstanceType="t3.nano", MinCount=2, MaxCount=2,
                                   ClientToken=token)
    ids = [i["InstanceId"] for i in first["Instances"]]
    try:
        assert len(ids) == 2 and sorted(i["AmiLaunchIndex"] for i in first["Instances"]) == [0, 1]
        again = ec2_demo.run_instances(ImageId=image_id, InstanceType="t3.nano", MinCount=2, MaxCount=2,
                                       ClientToken=token)
        assert again["ReservationId"] == first["ReservationId"]
        assert sorted(i["InstanceId"] for i in again["Instances"]) == sorted(ids)
        with pytest.raises(ClientError) as e:
            ec2_demo.run_instances(ImageId=image_id, InstanceType="t3.small", MinCount=1, MaxCount=1,
                                   ClientToken=token)
        assert code_of(e) == "IdempotentParameterMismatch"
        reservations = ec2_demo.describe_instances(InstanceIds=ids)["Reservations"]
        assert [r["ReservationId"] for r in reservations] == [first["ReservationId"]]
        assert len(reservations[0]["Instances"]) == 2
    finally:
        _terminate(ec2_demo, ids)


def test_paginators(ec2_demo, aws_cli, image_id):
    """DescribeInstances pages by reservation, DescribeInstanceStatus by instance (boto3 and the CLI)."""
    marker = uuid.uuid4().hex[:8]
    tagged = [{"ResourceType": "instance", "Tags": [{"Key": "page", "Value": marker}]}]
    ids = []
    try:
        for _ in range(6):
            run = ec2_demo.run_instances(ImageId=image_id, InstanceType="t3.nano", MinCount=1, MaxCount=1,
                                         TagSpecifications=tagged)
            ids.append(run["Instances"][0]["InstanceId"])
        ec2_demo.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig=FAST)
        mine = [{"Name": "tag:page", "Values": [marker]}]
        pages = list(ec2_demo.get_paginator("describe_instances").paginate(
            Filters=mine, PaginationConfig={"PageSize": 5}))
        assert [len(p["Reservations"]) for p in pages] == [5, 1]
        assert sorted(i["InstanceId"] for p in pages for r in p["Reservations"] for i in r["Instances"]) == \
            sorted(ids)
        statuses = list(ec2_demo.get_paginator("describe_instance_status").paginate(
            PaginationConfig={"PageSize": 5}))
        assert len(statuses) >= 2 and all(len(p["InstanceStatuses"]) <= 5 for p in statuses)
        seen = [s["InstanceId"] for p in statuses for s in p["InstanceStatuses"]]
        assert len(seen) == len(set(seen)) and set(ids) <= set(seen)
        cli = aws_cli("demo", "describe-instances", "--filters", f"Name=tag:page,Values={marker}",
                      "--page-size", "5", "--query", "Reservations[].Instances[].InstanceId")
        assert sorted(cli) == sorted(ids)
    finally:
        _terminate(ec2_demo, ids)


def test_isolation(ec2_demo, ec2_alt, image_id):
    run = ec2_demo.run_instances(ImageId=image_id, InstanceType="t3.nano", MinCount=1, MaxCount=1)
    instance_id = run["Instances"][0]["InstanceId"]
    try:
        assert instance_id not in [i["InstanceId"] for i in _instances(ec2_alt)]
        assert _instances(ec2_alt, Filters=[{"Name": "instance-id", "Values": [instance_id]}]) == []
        for call in (lambda: ec2_alt.describe_instances(InstanceIds=[instance_id]),
                     lambda: ec2_alt.stop_instances(InstanceIds=[instance_id]),
                     lambda: ec2_alt.terminate_instances(InstanceIds=[instance_id])):
            with pytest.raises(ClientError) as e:
                call()
            assert code_of(e) == "InvalidInstanceID.NotFound"
        assert _instances(ec2_demo, InstanceIds=[instance_id])[0]["State"]["Name"] != "terminated"
    finally:
        _terminate(ec2_demo, [instance_id])


def test_bad_input_leaves_nothing_behind(ec2_demo, image_id, demo_conn):
    before = {s.id for s in demo_conn.compute.servers()}
    cases = [
        (dict(ImageId="ami-0123456789abcdef0"), "InvalidAMIID.NotFound"),
        (dict(ImageId="ami-xyz"), "InvalidAMIID.Malformed"),
        (dict(ImageId=image_id, InstanceType="p4d.24xlarge"), "InvalidParameterValue"),
        (dict(ImageId=image_id, KeyName=f"nope-{uuid.uuid4().hex[:6]}"), "InvalidKeyPair.NotFound"),
        (dict(ImageId=image_id, SecurityGroupIds=["sg-0123456789abcdef0"]), "InvalidGroup.NotFound"),
        (dict(ImageId=image_id, SubnetId="subnet-0123456789abcdef0"), "InvalidSubnetID.NotFound"),
        (dict(ImageId=image_id, MinCount=3, MaxCount=2), "InvalidParameterValue"),
    ]
    for extra, code in cases:
        params = {"MinCount": 1, "MaxCount": 1, "InstanceType": "t3.nano", **extra}
        with pytest.raises(ClientError) as e:
            ec2_demo.run_instances(**params)
        assert code_of(e) == code, extra
    assert {s.id for s in demo_conn.compute.servers()} - before == set()
    for bad, code in (("i-0123456789abcdef0", "InvalidInstanceID.NotFound"), ("i-zz", "InvalidInstanceID.Malformed")):
        with pytest.raises(ClientError) as e:
            ec2_demo.describe_instances(InstanceIds=[bad])
        assert code_of(e) == code


@pytest.mark.parametrize(("extra", "named"), [
    ({"CpuOptions": {"CoreCount": 8, "ThreadsPerCore": 2}}, "CpuOptions"),
    ({"HibernationOptions": {"Configured": True}}, "HibernationOptions.Configured"),
    # Monitoring and CreditSpecification are stored now (tests/integration/test_instance_settings.py).
    ({"EnclaveOptions": {"Enabled": True}}, "EnclaveOptions.Enabled"),
    ({"CapacityReservationSpecification": {"CapacityReservationPreference": "none"}},
     "CapacityReservationSpecification.CapacityReservationPreference"),
], ids=["CpuOptions", "HibernationOptions", "EnclaveOptions", "CapacityReservation"])
def test_what_this_cloud_cannot_do_is_refused_naming_it(ec2_demo, image_id, demo_conn, extra, named):
    # Issue 10: these used to succeed and be dropped, so the instance silently differed from the request.
    before = {s.id for s in demo_conn.compute.servers()}
    params = {"ImageId": image_id, "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.nano", **extra}
    with pytest.raises(ClientError) as e:
        ec2_demo.run_instances(**params)
    assert code_of(e) == "InvalidParameterValue"
    assert named in e.value.response["Error"]["Message"]
    assert "not supported by this cloud" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:   # DryRun does not say it would have succeeded
        ec2_demo.run_instances(**params, DryRun=True)
    assert code_of(e) == "InvalidParameterValue"
    assert {s.id for s in demo_conn.compute.servers()} - before == set()


def test_what_this_cloud_does_by_default_is_honoured(ec2_demo, image_id):
    # The values each instance here has anyway are accepted, and DescribeInstances shows them.
    reservation = ec2_demo.run_instances(
        ImageId=image_id, MinCount=1, MaxCount=1, InstanceType="t3.nano", Monitoring={"Enabled": False},
        CreditSpecification={"CpuCredits": "standard"}, HibernationOptions={"Configured": False},
        MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"}, EbsOptimized=False,
        InstanceInitiatedShutdownBehavior="stop")
    instance_id = reservation["Instances"][0]["InstanceId"]
    try:
        (live,) = _instances(ec2_demo, InstanceIds=[instance_id])
        assert live["Monitoring"] == {"State": "disabled"} and live["HibernationOptions"] == {"Configured": False}
        assert live["MetadataOptions"]["HttpTokens"] == "optional" and live["EbsOptimized"] is False
        credits = ec2_demo.describe_instance_credit_specifications(InstanceIds=[instance_id])
        assert credits["InstanceCreditSpecifications"] == [{"InstanceId": instance_id, "CpuCredits": "standard"}]
        behaviour = ec2_demo.describe_instance_attribute(InstanceId=instance_id,
                                                         Attribute="instanceInitiatedShutdownBehavior")
        assert behaviour["InstanceInitiatedShutdownBehavior"] == {"Value": "stop"}
        with pytest.raises(ClientError) as e:   # nothing here terminates a guest that shuts down
            ec2_demo.modify_instance_attribute(InstanceId=instance_id,
                                               InstanceInitiatedShutdownBehavior={"Value": "terminate"})
        assert code_of(e) == "InvalidParameterValue" and "InstanceInitiatedShutdownBehavior" in str(e.value)
    finally:
        _terminate(ec2_demo, [instance_id])


def test_aws_cli_and_network_interfaces_form(aws_cli, image_id):
    first = aws_cli("demo", "run-instances", "--image-id", image_id, "--instance-type", "t3.nano", "--count", "1")
    ids = [first["Instances"][0]["InstanceId"]]
    try:
        aws_cli("demo", "wait", "instance-running", "--instance-ids", ids[0])
        described = aws_cli("demo", "describe-instances", "--instance-ids", ids[0])
        subnet = described["Reservations"][0]["Instances"][0]["SubnetId"]
        # The CLI folds --[no-]associate-public-ip-address into NetworkInterfaces[0], moving the subnet
        # there; both are honoured (a public address: a floating IP, handlers/_launch_interfaces.py).
        second = aws_cli("demo", "run-instances", "--image-id", image_id, "--instance-type", "t3.nano",
                         "--count", "1", "--subnet-id", subnet, "--no-associate-public-ip-address")
        ids.append(second["Instances"][0]["InstanceId"])
        assert second["Instances"][0]["SubnetId"] == subnet
        third = aws_cli("demo", "run-instances", "--image-id", image_id, "--instance-type", "t3.nano",
                        "--count", "1", "--subnet-id", subnet, "--associate-public-ip-address")
        ids.append(third["Instances"][0]["InstanceId"])
        aws_cli("demo", "wait", "instance-running", "--instance-ids", ids[-1])
        shown = aws_cli("demo", "describe-instances", "--instance-ids", ids[-1])["Reservations"][0]["Instances"][0]
        assert shown["PublicIpAddress"] and shown["SubnetId"] == subnet
    finally:
        aws_cli("demo", "terminate-instances", "--instance-ids", *ids)
