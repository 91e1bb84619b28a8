"""Instances and their network interfaces: a second interface attached and detached (boto3 and the
aws CLI), the primary one refused, isolation from the other project, and RunInstances with
NetworkInterfaces (existing and new ones, a public address, DeleteOnTermination)."""

from __future__ import annotations

import time

import pytest

from tests.integration._kit import FAST
from tests.integration._vpc_kit import error_code, vpc

pytestmark = pytest.mark.cloud
CIDR = "10.132.0.0/16"
SUBNET = "10.132.1.0/24"


@pytest.fixture(scope="module")
def net(ec2_demo):
    with vpc(ec2_demo, CIDR) as made:
        subnet = ec2_demo.create_subnet(VpcId=made["VpcId"], CidrBlock=SUBNET)["Subnet"]["SubnetId"]
        try:
            yield {"vpc": made["VpcId"], "subnet": subnet}
        finally:
            _delete_available(ec2_demo, made["VpcId"])


def _delete_available(ec2, vpc_id: str) -> None:
    for _ in range(30):
        left = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NetworkInterfaces"]
        for eni in left:
            if eni["Status"] == "available":
                ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
        if all(e["Status"] == "available" for e in left):
            return
        time.sleep(2)


def _instance(ec2, instance_id: str) -> dict:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def _eni(ec2, eni_id: str) -> dict:
    return ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]


@pytest.fixture(scope="module")
def instance(ec2_demo, image_id, net):
    run = ec2_demo.run_instances(ImageId=image_id, InstanceType="t3.nano", MinCount=1, MaxCount=1,
                                 SubnetId=net["subnet"])
    instance_id = run["Instances"][0]["InstanceId"]
    try:
        ec2_demo.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
        yield instance_id
    finally:
        ec2_demo.terminate_instances(InstanceIds=[instance_id])
        ec2_demo.get_waiter("instance_terminated").wait(InstanceIds=[instance_id], WaiterConfig=FAST)


def test_second_interface_attached_and_detached(ec2_demo, aws_cli, net, instance):
    (primary,) = _instance(ec2_demo, instance)["NetworkInterfaces"]
    shown = _eni(ec2_demo, primary["NetworkInterfaceId"])   # the instance's own port is an ENI too
    assert shown["Status"] == "in-use" and shown["Attachment"]["InstanceId"] == instance
    assert shown["Attachment"]["DeviceIndex"] == 0 and shown["Attachment"]["DeleteOnTermination"] is True
    assert shown["Attachment"]["AttachmentId"] == primary["Attachment"]["AttachmentId"]
    eni_id = ec2_demo.create_network_interface(SubnetId=net["subnet"])["NetworkInterface"]["NetworkInterfaceId"]
    attachment = ec2_demo.attach_network_interface(NetworkInterfaceId=eni_id, InstanceId=instance,
                                                   DeviceIndex=1)["AttachmentId"]
    assert attachment.startswith("eni-attach-")
    found = _eni(ec2_demo, eni_id)
    assert found["Status"] == "in-use"
    assert {k: found["Attachment"][k] for k in ("AttachmentId", "InstanceId", "DeviceIndex", "Status",
                                                "DeleteOnTermination")} == {
        "AttachmentId": attachment, "InstanceId": instance, "DeviceIndex": 1, "Status": "attached",
        "DeleteOnTermination": False}
    by_filter = ec2_demo.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [instance]}])
    assert sorted(i["NetworkInterfaceId"] for i in by_filter["NetworkInterfaces"]) == sorted(
        [eni_id, primary["NetworkInterfaceId"]])
    interfaces = _instance(ec2_demo, instance)["NetworkInterfaces"]
    assert [(i["NetworkInterfaceId"], i["Attachment"]["DeviceIndex"]) for i in interfaces] == [
        (primary["NetworkInterfaceId"], 0), (eni_id, 1)]
    other = ec2_demo.create_network_interface(SubnetId=net["subnet"])["NetworkInterface"]["NetworkInterfaceId"]
    try:
        assert error_code(ec2_demo.attach_network_interface, NetworkInterfaceId=other, InstanceId=instance,
                          DeviceIndex=1) == "InvalidParameterValue"   # the index is taken
        assert error_code(ec2_demo.attach_network_interface, NetworkInterfaceId=eni_id, InstanceId=instance,
                          DeviceIndex=2) == "InvalidNetworkInterface.InUse"
    finally:
        ec2_demo.delete_network_interface(NetworkInterfaceId=other)
    assert error_code(ec2_demo.delete_network_interface, NetworkInterfaceId=eni_id) == \
        "InvalidNetworkInterface.InUse"
    assert error_code(ec2_demo.detach_network_interface, AttachmentId=primary["Attachment"]["AttachmentId"]) == \
        "OperationNotPermitted"
    ec2_demo.modify_network_interface_attribute(NetworkInterfaceId=eni_id, Attachment={
        "AttachmentId": attachment, "DeleteOnTermination": True})
    assert _eni(ec2_demo, eni_id)["Attachment"]["DeleteOnTermination"] is True
    assert error_code(ec2_demo.modify_network_interface_attribute, NetworkInterfaceId=primary["NetworkInterfaceId"],
                      Attachment={"AttachmentId": primary["Attachment"]["AttachmentId"],
                                  "DeleteOnTermination": False}) == "InvalidParameterValue"
    aws_cli("demo", "detach-network-interface", "--attachment-id", attachment)
    ec2_demo.get_waiter("network_interface_available").wait(NetworkInterfaceIds=[eni_id], WaiterConfig=FAST)
    assert "Attachment" not in _eni(ec2_demo, eni_id)
    # Attached again through the CLI, then detached with Force.
    again = aws_cli("demo", "attach-network-interface", "--network-interface-id", eni_id, "--instance-id", instance,
                    "--device-index", "2")["AttachmentId"]
    assert _eni(ec2_demo, eni_id)["Attachment"]["DeviceIndex"] == 2
    ec2_demo.detach_network_interface(AttachmentId=again, Force=True)
    ec2_demo.get_waiter("network_interface_available").wait(NetworkInterfaceIds=[eni_id], WaiterConfig=FAST)
    ec2_demo.delete_network_interface(NetworkInterfaceId=eni_id)


def test_isolation_of_attach(ec2_demo, ec2_alt, net, instance):
    eni_id = ec2_demo.create_network_interface(SubnetId=net["subnet"])["NetworkInterface"]["NetworkInterfaceId"]
    try:
        assert error_code(ec2_alt.attach_network_interface, NetworkInterfaceId=eni_id, InstanceId=instance,
                          DeviceIndex=1) == "InvalidNetworkInterfaceID.NotFound"
        (primary,) = _instance(ec2_demo, instance)["NetworkInterfaces"]
        assert error_code(ec2_alt.detach_network_interface, AttachmentId=primary["Attachment"]["AttachmentId"]) == \
            "InvalidAttachmentID.NotFound"
        assert error_code(ec2_alt.describe_network_interfaces, NetworkInterfaceIds=[primary["NetworkInterfaceId"]]) \
            == "InvalidNetworkInterfaceID.NotFound"
        assert _eni(ec2_demo, eni_id)["Status"] == "available"
    finally:
        ec2_demo.delete_network_interface(NetworkInterfaceId=eni_id)


@pytest.fixture(scope="module")
def routed(ec2_demo, net):
    """The VPC with an internet gateway (a public address needs one); the VPC teardown removes it."""
    gw = ec2_demo.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2_demo.attach_internet_gateway(InternetGatewayId=gw, VpcId=net["vpc"])
    return net


def _wait_gone(ec2, eni_id: str) -> None:
    for _ in range(60):
        if error_code_or_none(ec2, eni_id) == "InvalidNetworkInterfaceID.NotFound":
            return
        time.sleep(2)
    raise AssertionError(f"{eni_id} still there")


def error_code_or_none(ec2, eni_id: str):
    try:
        ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])
    except Exception as e:   # noqa: BLE001
        return e.response["Error"]["Code"]
    return None


def test_launch_with_interfaces_and_public_address(ec2_demo, image_id, routed, launched):
    net = routed
    taken = ec2_demo.create_network_interface(SubnetId=net["subnet"], Description="taken")["NetworkInterface"][
        "NetworkInterfaceId"]
    run = ec2_demo.run_instances(ImageId=image_id, InstanceType="t3.nano", MinCount=1, MaxCount=1, NetworkInterfaces=[
        {"DeviceIndex": 0, "SubnetId": net["subnet"], "AssociatePublicIpAddress": True,
         "SecondaryPrivateIpAddressCount": 1, "DeleteOnTermination": True},
        {"DeviceIndex": 1, "NetworkInterfaceId": taken}])
    instance_id = run["Instances"][0]["InstanceId"]
    launched.append(instance_id)
    ec2_demo.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
    shown = _instance(ec2_demo, instance_id)
    nics = shown["NetworkInterfaces"]
    assert [n["Attachment"]["DeviceIndex"] for n in nics] == [0, 1] and nics[1]["NetworkInterfaceId"] == taken
    assert nics[0]["Attachment"]["DeleteOnTermination"] is True and nics[1]["Attachment"]["DeleteOnTermination"] is False
    assert len(nics[0]["PrivateIpAddresses"]) == 2 and shown["PublicIpAddress"]
    assert shown["PrivateIpAddress"] == nics[0]["PrivateIpAddress"] and shown["SubnetId"] == net["subnet"]
    first = _eni(ec2_demo, nics[0]["NetworkInterfaceId"])
    assert first["Association"]["PublicIp"] == shown["PublicIpAddress"]
    assert _eni(ec2_demo, taken)["Attachment"]["InstanceId"] == instance_id
    public_ip = shown["PublicIpAddress"]
    ec2_demo.terminate_instances(InstanceIds=[instance_id])
    ec2_demo.get_waiter("instance_terminated").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
    _wait_gone(ec2_demo, first["NetworkInterfaceId"])   # DeleteOnTermination: deleted with the instance
    ec2_demo.get_waiter("network_interface_available").wait(NetworkInterfaceIds=[taken], WaiterConfig=FAST)
    assert error_code(ec2_demo.describe_addresses, PublicIps=[public_ip]) == "InvalidAddress.NotFound"
    ec2_demo.delete_network_interface(NetworkInterfaceId=taken)


def test_cli_associate_public_ip_address(ec2_demo, aws_cli, image_id, routed, launched):
    out = aws_cli("demo", "run-instances", "--image-id", image_id, "--instance-type", "t3.nano", "--subnet-id",
                  routed["subnet"], "--associate-public-ip-address")
    instance_id = out["Instances"][0]["InstanceId"]
    launched.append(instance_id)
    ec2_demo.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
    shown = _instance(ec2_demo, instance_id)
    assert shown["PublicIpAddress"] and shown["SubnetId"] == routed["subnet"]


def test_launch_bad_interfaces_make_nothing(ec2_demo, ec2_alt, demo_conn, image_id, net):
    eni_id = ec2_demo.create_network_interface(SubnetId=net["subnet"])["NetworkInterface"]["NetworkInterfaceId"]
    try:
        network_id = next(sn.network_id for sn in demo_conn.network.subnets(name=f"{net['vpc']} {SUBNET}"))
        before = sorted(p.id for p in demo_conn.network.ports(network_id=network_id))
        run = {"ImageId": image_id, "InstanceType": "t3.nano", "MinCount": 1, "MaxCount": 1}
        assert error_code(ec2_demo.run_instances, **{**run, "MaxCount": 2}, NetworkInterfaces=[
            {"DeviceIndex": 0, "NetworkInterfaceId": eni_id}]) == "InvalidParameterCombination"
        assert error_code(ec2_demo.run_instances, **run, NetworkInterfaces=[
            {"DeviceIndex": 0, "SubnetId": net["subnet"]}, {"DeviceIndex": 2, "SubnetId": net["subnet"]}]) == \
            "InvalidParameterValue"
        assert error_code(ec2_demo.run_instances, **run, NetworkInterfaces=[
            {"DeviceIndex": 0, "SubnetId": net["subnet"]},
            {"DeviceIndex": 1, "SubnetId": net["subnet"], "PrivateIpAddress": "10.9.9.9"}]) == "InvalidParameterValue"
        assert error_code(ec2_demo.run_instances, **run, NetworkInterfaces=[
            {"DeviceIndex": 0, "NetworkInterfaceId": "eni-0123456789abcdef0"}]) == "InvalidNetworkInterfaceID.NotFound"
        assert error_code(ec2_alt.run_instances, **run, NetworkInterfaces=[
            {"DeviceIndex": 0, "NetworkInterfaceId": eni_id}]) == "InvalidNetworkInterfaceID.NotFound"
        assert sorted(p.id for p in demo_conn.network.ports(network_id=network_id)) == before
        assert _eni(ec2_demo, eni_id)["Status"] == "available"
    finally:
        ec2_demo.delete_network_interface(NetworkInterfaceId=eni_id)


def test_subnet_maps_public_ip_on_launch(ec2_demo, image_id, routed, launched):
    subnet = ec2_demo.create_subnet(VpcId=routed["vpc"], CidrBlock="10.132.2.0/24")["Subnet"]["SubnetId"]
    ec2_demo.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    run = ec2_demo.run_instances(ImageId=image_id, InstanceType="t3.nano", MinCount=1, MaxCount=1, SubnetId=subnet)
    launched.append(run["Instances"][0]["InstanceId"])
    ec2_demo.get_waiter("instance_running").wait(InstanceIds=launched, WaiterConfig=FAST)
    shown = _instance(ec2_demo, launched[0])
    assert shown["PublicIpAddress"] and shown["SubnetId"] == subnet
    # Asked for no public address, the instance gets none.
    run = ec2_demo.run_instances(ImageId=image_id, InstanceType="t3.nano", MinCount=1, MaxCount=1, NetworkInterfaces=[
        {"DeviceIndex": 0, "SubnetId": subnet, "AssociatePublicIpAddress": False}])
    launched.append(run["Instances"][0]["InstanceId"])
    ec2_demo.get_waiter("instance_running").wait(InstanceIds=launched[1:], WaiterConfig=FAST)
    assert "PublicIpAddress" not in _instance(ec2_demo, launched[1])
