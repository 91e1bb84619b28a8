"""Images on Glance through the real service: find, copy, share, create from instances, register,
deregister; isolation and bad input; boto3 waiters/paginators and the aws CLI."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration._kit import FAST, code_of

pytestmark = pytest.mark.cloud
UNKNOWN = "ami-0123456789abcdef0"


def _ids(images: list[dict]) -> list[str]:
    return [i["ImageId"] for i in images]


def _describe(ec2, **kwargs) -> list[dict]:
    pages = ec2.get_paginator("describe_images").paginate(**kwargs)
    return [i for page in pages for i in page["Images"]]


def _not_found(call) -> str:
    with pytest.raises(ClientError) as e:
        call()
    return code_of(e)


@pytest.fixture(scope="module")
def public_image(ec2_demo, cloud_info) -> dict:
    found = ec2_demo.describe_images(Filters=[{"Name": "name", "Values": [cloud_info["image"]["name"]]}])["Images"]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope="module")
def accounts(ec2_demo, ec2_alt, public_image) -> dict:
    """Each project's account id, learnt from an image it owns (a copy of the public image)."""
    out = {}
    for name, ec2 in (("demo", ec2_demo), ("alt", ec2_alt)):
        copy = ec2.copy_image(SourceImageId=public_image["ImageId"], SourceRegion=ec2.meta.region_name,
                              Name=f"acct-{name}-{uuid.uuid4().hex[:8]}")["ImageId"]
        out[name] = ec2.describe_images(ImageIds=[copy])["Images"][0]["OwnerId"]
        out[f"{name}_image"] = copy
    yield out
    for name, ec2 in (("demo", ec2_demo), ("alt", ec2_alt)):
        try:
            ec2.deregister_image(ImageId=out[f"{name}_image"])
        except ClientError:
            pass


def test_public_image_is_found_every_way(ec2_demo, ec2_alt, public_image, cloud_info):
    image_id = public_image["ImageId"]
    assert image_id.startswith("ami-") and len(image_id) == 21
    assert public_image["State"] == "available" and public_image["Public"] is True
    assert public_image["ImageType"] == "machine" and public_image["Architecture"] == "x86_64"
    # A plain Glance image holds a disk, no volume mappings: instance-store, as AWS shows such an AMI.
    assert public_image["RootDeviceType"] == "instance-store" and public_image["RootDeviceName"] == "/dev/sda1"
    assert public_image["VirtualizationType"] == "hvm" and public_image["PlatformDetails"] == "Linux/UNIX"
    assert public_image["CreationDate"].endswith("Z") and public_image["CreationDate"][4] == "-"
    assert public_image["OwnerId"].isdigit() and len(public_image["OwnerId"]) == 12
    assert public_image["BlockDeviceMappings"] == []
    assert public_image["Description"] == "ec2api test cloud image (placeholder)"

    # AMI ids are global: the other project sees the same id.
    assert _ids(ec2_alt.describe_images(ImageIds=[image_id])["Images"]) == [image_id]
    assert _ids(ec2_demo.describe_images(ImageIds=[image_id])["Images"]) == [image_id]
    prefix = cloud_info["image"]["name"][:8]
    for name, values in {
        "image-id": [image_id], "name": [f"{prefix}*"], "owner-id": [public_image["OwnerId"]],
        "is-public": ["true"], "state": ["available"], "architecture": ["x86_64"], "image-type": ["machine"],
        "root-device-type": ["instance-store"], "root-device-name": ["/dev/sda1"], "virtualization-type": ["hvm"],
        "hypervisor": ["xen"], "description": ["ec2api test cloud*"], "creation-date": [
            public_image["CreationDate"][:10] + "*"], "manifest-location": [public_image["ImageLocation"]],
    }.items():
        assert image_id in _ids(_describe(ec2_demo, Filters=[{"Name": name, "Values": values}])), name
    assert image_id not in _ids(_describe(ec2_demo, Filters=[{"Name": "name", "Values": ["nope-*"]}]))
    assert image_id not in _ids(_describe(ec2_demo, Filters=[{"Name": "platform", "Values": ["windows"]}]))
    assert image_id in _ids(_describe(ec2_demo, Owners=[public_image["OwnerId"]]))
    assert image_id in _ids(_describe(ec2_demo, ExecutableUsers=["all"]))
    assert image_id not in _ids(_describe(ec2_demo, Owners=["self"]))
    assert _describe(ec2_demo, Owners=["amazon"]) == []
    ec2_demo.get_waiter("image_available").wait(ImageIds=[image_id], WaiterConfig=FAST)
    ec2_demo.get_waiter("image_exists").wait(ImageIds=[image_id], WaiterConfig=FAST)


def test_bad_input(ec2_demo):
    assert _not_found(lambda: ec2_demo.describe_images(ImageIds=[UNKNOWN])) == "InvalidAMIID.NotFound"
    assert _not_found(lambda: ec2_demo.describe_images(ImageIds=["ami-xyz"])) == "InvalidAMIID.Malformed"
    assert _not_found(lambda: ec2_demo.describe_images(ImageIds=["vol-0123456789abcdef0"])) == \
        "InvalidAMIID.Malformed"
    assert _not_found(lambda: ec2_demo.describe_images(Owners=["nobody"])) == "InvalidUserID.Malformed"
    assert _not_found(lambda: ec2_demo.describe_images(
        Filters=[{"Name": "no-such-filter", "Values": ["x"]}])) == "InvalidParameterValue"
    assert _not_found(lambda: ec2_demo.describe_images(
        Filters=[{"Name": "image-allowed", "Values": ["true"]}])) == "InvalidParameterValue"
    assert _not_found(lambda: ec2_demo.describe_images(MaxResults=2000)) == "InvalidParameterValue"
    assert _not_found(lambda: ec2_demo.describe_image_attribute(
        ImageId=UNKNOWN, Attribute="description")) == "InvalidAMIID.NotFound"
    assert _not_found(lambda: ec2_demo.deregister_image(ImageId=UNKNOWN)) == "InvalidAMIID.NotFound"
    assert _not_found(lambda: ec2_demo.copy_image(
        SourceImageId=UNKNOWN, SourceRegion=ec2_demo.meta.region_name, Name="copy-x")) == "InvalidAMIID.NotFound"
    assert _not_found(lambda: ec2_demo.create_image(
        InstanceId="i-0123456789abcdef0", Name="img-x")) == "InvalidInstanceID.NotFound"
    assert _not_found(lambda: ec2_demo.create_image(InstanceId="i-zz", Name="img-x")) == "InvalidInstanceID.Malformed"
    assert _not_found(lambda: ec2_demo.register_image(Name="reg-x")) == "MissingParameter"
    assert _not_found(lambda: ec2_demo.register_image(
        Name="reg-x", ImageLocation="my-bucket/manifest.xml")) == "InvalidParameterValue"


def test_copy_share_and_deregister(ec2_demo, ec2_alt, public_image, accounts, demo_conn):
    region = ec2_demo.meta.region_name
    name = f"copy-{uuid.uuid4().hex[:8]}"
    image_id = ec2_demo.copy_image(SourceImageId=public_image["ImageId"], SourceRegion=region, Name=name,
                                   Description="my copy", TagSpecifications=[
                                       {"ResourceType": "image", "Tags": [{"Key": "team", "Value": "blue"}]}])["ImageId"]
    try:
        ec2_demo.get_waiter("image_available").wait(ImageIds=[image_id], WaiterConfig=FAST)
        (image,) = ec2_demo.describe_images(ImageIds=[image_id])["Images"]
        assert image["OwnerId"] == accounts["demo"] and image["Public"] is False and image["Name"] == name
        assert image["SourceImageId"] == public_image["ImageId"] and image["SourceImageRegion"] == region
        assert image["Description"] == "my copy" and image["Tags"] == [{"Key": "team", "Value": "blue"}]
        assert image_id in _ids(_describe(ec2_demo, Owners=["self"]))
        assert image_id in _ids(_describe(ec2_demo, Owners=[accounts["demo"]]))
        assert image_id in _ids(_describe(ec2_demo, Filters=[{"Name": "tag:team", "Values": ["blue"]}]))
        assert image_id in _ids(_describe(ec2_demo, Filters=[{"Name": "tag-key", "Values": ["team"]}]))
        assert image_id in _ids(_describe(ec2_demo, Filters=[{"Name": "source-image-id",
                                                              "Values": [public_image["ImageId"]]}]))
        with pytest.raises(ClientError) as e:
            ec2_demo.copy_image(SourceImageId=image_id, SourceRegion=region, Name=name)
        assert code_of(e) == "InvalidAMIName.Duplicate"
        assert e.value.response["Error"]["Message"] == f"AMI name {name} is already in use by AMI {image_id}"
        with pytest.raises(ClientError) as e:
            ec2_demo.copy_image(SourceImageId=image_id, SourceRegion="elsewhere-1", Name=name + "-2")
        assert code_of(e) == "InvalidParameterValue"

        # Isolation: the private image does not exist for alt, by id, filter or owner.
        assert _not_found(lambda: ec2_alt.describe_images(ImageIds=[image_id])) == "InvalidAMIID.NotFound"
        assert image_id not in _ids(_describe(ec2_alt, Filters=[{"Name": "image-id", "Values": [image_id]}]))
        assert image_id not in _ids(_describe(ec2_alt, Owners=[accounts["demo"]]))
        for call in (lambda: ec2_alt.deregister_image(ImageId=image_id),
                     lambda: ec2_alt.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")):
            assert _not_found(call) == "InvalidAMIID.NotFound"
        # And demo does not see alt's private copy.
        assert _not_found(lambda: ec2_demo.describe_images(ImageIds=[accounts["alt_image"]])) == \
            "InvalidAMIID.NotFound"

        # Tagging several AMIs at once is all or nothing: one unseen id fails the call and
        # nothing is written on the ones alt can see.
        assert _not_found(lambda: ec2_alt.create_tags(
            Resources=[public_image["ImageId"], image_id], Tags=[{"Key": "both", "Value": "x"}])) == \
            "InvalidAMIID.NotFound"
        assert ec2_alt.describe_tags(Filters=[{"Name": "key", "Values": ["both"]}])["Tags"] == []
        ec2_demo.create_tags(Resources=[public_image["ImageId"], image_id], Tags=[{"Key": "both", "Value": "x"}])
        assert {t["ResourceId"] for t in ec2_demo.describe_tags(
            Filters=[{"Name": "key", "Values": ["both"]}])["Tags"]} == {public_image["ImageId"], image_id}
        ec2_demo.delete_tags(Resources=[public_image["ImageId"], image_id], Tags=[{"Key": "both"}])

        # Share with alt.
        ec2_demo.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"UserId": accounts["alt"]}]})
        perms = ec2_demo.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")
        assert perms["LaunchPermissions"] == [{"UserId": accounts["alt"]}]
        (seen,) = ec2_alt.describe_images(ImageIds=[image_id])["Images"]
        assert seen["ImageId"] == image_id and seen["OwnerId"] == accounts["demo"] and "Tags" not in seen
        assert image_id in _ids(_describe(ec2_alt, Owners=[accounts["demo"]]))
        assert image_id in _ids(_describe(ec2_alt, ExecutableUsers=["self"]))
        assert image_id not in _ids(_describe(ec2_alt, ExecutableUsers=["all"]))
        assert image_id in _ids(_describe(ec2_demo, ExecutableUsers=[accounts["alt"]]))
        # The consumer may tag it; its tags are its own.
        ec2_alt.create_tags(Resources=[image_id], Tags=[{"Key": "mine", "Value": "alt"}])
        assert ec2_alt.describe_images(ImageIds=[image_id])["Images"][0]["Tags"] == [{"Key": "mine", "Value": "alt"}]
        assert ec2_demo.describe_images(ImageIds=[image_id])["Images"][0]["Tags"] == [{"Key": "team", "Value": "blue"}]
        # ...but not change or remove it.
        for call in (lambda: ec2_alt.describe_image_attribute(ImageId=image_id, Attribute="launchPermission"),
                     lambda: ec2_alt.modify_image_attribute(
                         ImageId=image_id, LaunchPermission={"Add": [{"Group": "all"}]}),
                     lambda: ec2_alt.deregister_image(ImageId=image_id)):
            assert _not_found(call) == "AuthFailure"
        assert ec2_alt.describe_image_attribute(ImageId=image_id, Attribute="description")["Description"] == \
            {"Value": "my copy"}
        # Launchable there.
        run = ec2_alt.run_instances(ImageId=image_id, InstanceType="t3.micro", MinCount=1, MaxCount=1)
        alt_instance = run["Instances"][0]["InstanceId"]
        try:
            ec2_alt.get_waiter("instance_running").wait(InstanceIds=[alt_instance], WaiterConfig=FAST)
        finally:
            ec2_alt.terminate_instances(InstanceIds=[alt_instance])

        # Unshare: gone for alt again.
        ec2_demo.modify_image_attribute(ImageId=image_id, Attribute="launchPermission", OperationType="remove",
                                        UserIds=[accounts["alt"]])
        assert ec2_demo.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")[
            "LaunchPermissions"] == []
        assert _not_found(lambda: ec2_alt.describe_images(ImageIds=[image_id])) == "InvalidAMIID.NotFound"

        # Public (Group=all) and back; the description. Attribute names in AWS's (and amazon.aws')
        # capitalised spelling.
        ec2_demo.modify_image_attribute(ImageId=image_id, Attribute="LaunchPermission",
                                        LaunchPermission={"Add": [{"Group": "all"}]})
        assert ec2_demo.describe_images(ImageIds=[image_id])["Images"][0]["Public"] is True
        assert image_id in _ids(_describe(ec2_alt, ExecutableUsers=["all"]))
        assert image_id in _ids(_describe(ec2_alt, Filters=[{"Name": "is-public", "Values": ["true"]}]))
        ec2_demo.modify_image_attribute(ImageId=image_id, Attribute="Description", Description={"Value": "now public"})
        assert ec2_alt.describe_images(ImageIds=[image_id])["Images"][0]["Description"] == "now public"
        for spelling in ("Description", "description"):   # DescribeImageAttribute takes both too
            assert ec2_demo.describe_image_attribute(ImageId=image_id, Attribute=spelling)["Description"] == \
                {"Value": "now public"}
        assert ec2_demo.describe_image_attribute(ImageId=image_id, Attribute="LaunchPermission")[
            "LaunchPermissions"] == [{"Group": "all"}]
        ec2_demo.reset_image_attribute(ImageId=image_id, Attribute="launchPermission")
        assert ec2_demo.describe_images(ImageIds=[image_id])["Images"][0]["Public"] is False
        assert _not_found(lambda: ec2_alt.describe_images(ImageIds=[image_id])) == "InvalidAMIID.NotFound"
        with pytest.raises(ClientError) as e:
            ec2_demo.modify_image_attribute(ImageId=image_id,
                                            LaunchPermission={"Add": [{"UserId": "000000000000"}]})
        assert code_of(e) == "InvalidAMIAttributeItemValue"
        for attribute in ("kernel", "blockDeviceMapping", "Nothing"):
            with pytest.raises(ClientError) as e:
                ec2_demo.modify_image_attribute(ImageId=image_id, Attribute=attribute, Value="x")
            assert code_of(e) == "InvalidParameterValue", attribute
    finally:
        ec2_demo.deregister_image(ImageId=image_id)
    # Right after deregistering, DescribeImages by id answers nothing (as AWS does for a while),
    # so "is it gone?" needs no error handling; alone or with an image that exists.
    assert ec2_demo.describe_images(ImageIds=[image_id])["Images"] == []
    assert ec2_alt.describe_images(ImageIds=[image_id])["Images"] == []
    assert _ids(ec2_demo.describe_images(ImageIds=[image_id, public_image["ImageId"]])["Images"]) == [
        public_image["ImageId"]]
    assert _describe(ec2_demo, Filters=[{"Name": "image-id", "Values": [image_id]}]) == []
    assert _not_found(lambda: ec2_demo.describe_image_attribute(ImageId=image_id, Attribute="description")) == \
        "InvalidAMIID.NotFound"
    assert ec2_demo.describe_tags(Filters=[{"Name": "resource-id", "Values": [image_id]}])["Tags"] == []
    assert ec2_alt.describe_tags(Filters=[{"Name": "resource-id", "Values": [image_id]}])["Tags"] == []
    assert _not_found(lambda: ec2_demo.deregister_image(ImageId=image_id)) == "InvalidAMIID.NotFound"


def test_paginator(ec2_demo):
    everything = _ids(_describe(ec2_demo))
    paged = _ids(_describe(ec2_demo, PaginationConfig={"PageSize": 5}))
    assert sorted(everything) == sorted(paged) and len(paged) == len(set(paged))


@pytest.fixture
def volume_backed_instance(ec2_demo, demo_conn, cloud_info):
    """A server booted from a Cinder volume, made with openstacksdk and found through DescribeInstances.

    The volume is blank: the test cloud's Cinder cannot create volumes from images (its privsep
    helper needs sudo), so RunInstances' boot-from-image-volume is not available there.
    """
    volume = demo_conn.block_storage.create_volume(size=1, name=f"boot-{uuid.uuid4().hex[:8]}")
    demo_conn.block_storage.wait_for_status(volume, "available", failures=["error"], wait=120)
    demo_conn.block_storage.set_volume_bootable_status(volume, True)
    flavor = demo_conn.compute.find_flavor("t3.micro")
    server = demo_conn.compute.create_server(
        name=volume.name, flavor_id=flavor.id, networks=[{"uuid": cloud_info["networks"]["demo"]["network_id"]}],
        block_device_mapping=[{"boot_index": 0, "uuid": volume.id, "source_type": "volume",
                               "destination_type": "volume", "delete_on_termination": True}])
    try:
        server = demo_conn.compute.wait_for_server(server, wait=180)
        ip = next(a["addr"] for addrs in server.addresses.values() for a in addrs)
        found = [i["InstanceId"] for r in ec2_demo.describe_instances(
            Filters=[{"Name": "private-ip-address", "Values": [ip]}])["Reservations"] for i in r["Instances"]]
        assert len(found) == 1
        yield found[0]
    finally:
        demo_conn.compute.delete_server(server, ignore_missing=True)


def test_create_image_from_volume_backed_instance_and_register_its_snapshot(ec2_demo, volume_backed_instance):
    name = f"snap-img-{uuid.uuid4().hex[:8]}"
    image_id = ec2_demo.create_image(InstanceId=volume_backed_instance, Name=name, Description="from an instance",
                                     NoReboot=True, TagSpecifications=[
                                         {"ResourceType": "image", "Tags": [{"Key": "from", "Value": "instance"}]},
                                         {"ResourceType": "snapshot", "Tags": [{"Key": "part", "Value": "root"}]}])[
        "ImageId"]
    registered = None
    try:
        ec2_demo.get_waiter("image_available").wait(ImageIds=[image_id], WaiterConfig=FAST)
        (image,) = ec2_demo.describe_images(ImageIds=[image_id])["Images"]
        assert image["Name"] == name and image["State"] == "available" and image["RootDeviceType"] == "ebs"
        assert image["SourceInstanceId"] == volume_backed_instance
        assert image["Tags"] == [{"Key": "from", "Value": "instance"}]
        root = [b for b in image["BlockDeviceMappings"] if b["DeviceName"] == image["RootDeviceName"]]
        assert root and root[0]["Ebs"]["SnapshotId"].startswith("snap-"), image["BlockDeviceMappings"]
        # The snapshot tags are on the snapshot Nova made (and only there); the image's on the image.
        assert ec2_demo.describe_tags(Filters=[{"Name": "key", "Values": ["part"]}, {
            "Name": "resource-id", "Values": [root[0]["Ebs"]["SnapshotId"], image_id]}])["Tags"] == [
            {"Key": "part", "Value": "root", "ResourceId": root[0]["Ebs"]["SnapshotId"], "ResourceType": "snapshot"}]
        assert image_id in _ids(_describe(ec2_demo, Filters=[
            {"Name": "source-instance-id", "Values": [volume_backed_instance]},
            {"Name": "block-device-mapping.snapshot-id", "Values": [root[0]["Ebs"]["SnapshotId"]]}]))
        with pytest.raises(ClientError) as e:
            ec2_demo.create_image(InstanceId=volume_backed_instance, Name=name)
        assert code_of(e) == "InvalidAMIName.Duplicate"
        with pytest.raises(ClientError) as e:
            ec2_demo.create_image(InstanceId=volume_backed_instance, Name="bad{name}")
        assert code_of(e) == "InvalidAMIName.Malformed"

        # RegisterImage from that snapshot: a volume-backed image like Nova's.
        registered = ec2_demo.register_image(
            Name=name + "-reg", RootDeviceName="/dev/sda1", Architecture="x86_64",
            BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"SnapshotId": root[0]["Ebs"]["SnapshotId"],
                                                                     "DeleteOnTermination": True}}])["ImageId"]
        ec2_demo.get_waiter("image_available").wait(ImageIds=[registered], WaiterConfig=FAST)
        (reg,) = ec2_demo.describe_images(ImageIds=[registered])["Images"]
        assert reg["RootDeviceName"] == "/dev/sda1"
        assert reg["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"] == root[0]["Ebs"]["SnapshotId"]
        with pytest.raises(ClientError) as e:
            ec2_demo.register_image(Name=name + "-bad", RootDeviceName="/dev/sda1", BlockDeviceMappings=[
                {"DeviceName": "/dev/sda1", "Ebs": {"SnapshotId": "snap-0123456789abcdef0"}}])
        assert code_of(e) == "InvalidSnapshot.NotFound"
    finally:
        if registered:
            ec2_demo.deregister_image(ImageId=registered)
        result = ec2_demo.deregister_image(ImageId=image_id, DeleteAssociatedSnapshots=True)
    assert result["Return"] is True
    assert [r["ReturnCode"] for r in result["DeleteSnapshotResults"]] == ["success"]


def test_create_image_from_image_backed_instance_is_pending(ec2_demo, public_image):
    """Nova's fake virt driver never uploads a snapshot: the image stays pending (Glance ``queued``)."""
    run = ec2_demo.run_instances(ImageId=public_image["ImageId"], InstanceType="t3.micro", MinCount=1, MaxCount=1)
    iid = run["Instances"][0]["InstanceId"]
    try:
        ec2_demo.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=FAST)
        # amazon.aws' ec2_ami always sends both resource types; an image-backed instance's image
        # has no snapshots for the second to tag.
        image_id = ec2_demo.create_image(InstanceId=iid, Name=f"img-{uuid.uuid4().hex[:8]}", TagSpecifications=[
            {"ResourceType": t, "Tags": [{"Key": "app", "Value": "web"}]} for t in ("image", "snapshot")])["ImageId"]
        try:
            (image,) = ec2_demo.describe_images(ImageIds=[image_id])["Images"]
            assert image["State"] in ("pending", "available") and image["SourceInstanceId"] == iid
            assert image["Tags"] == [{"Key": "app", "Value": "web"}]
            with pytest.raises(ClientError) as e:
                ec2_demo.create_image(InstanceId=iid, Name=f"img-{uuid.uuid4().hex[:8]}", TagSpecifications=[
                    {"ResourceType": "volume", "Tags": [{"Key": "app", "Value": "web"}]}])
            assert code_of(e) == "InvalidParameterValue"
            assert image_id in _ids(_describe(ec2_demo, Filters=[{"Name": "state", "Values": [image["State"]]}]))
        finally:
            ec2_demo.deregister_image(ImageId=image_id)
    finally:
        ec2_demo.terminate_instances(InstanceIds=[iid])


def test_register_from_url(ec2_demo, demo_conn):
    """A URL Glance imports (web-download) or a clean EC2 error; never a fake success, nothing left behind.

    The test cloud's Glance accepts web-download only from ports 80/443 (its default filtering), so
    a URL on another port is refused by Glance, and so by RegisterImage.
    """
    before = {i.id for i in demo_conn.image.images(owner=demo_conn.current_project_id)}
    with pytest.raises(ClientError) as e:
        ec2_demo.register_image(Name=f"url-{uuid.uuid4().hex[:8]}", ImageLocation="https://127.0.0.1:9/x.qcow2")
    assert code_of(e) == "InvalidParameterValue" and "import" in e.value.response["Error"]["Message"]
    assert {i.id for i in demo_conn.image.images(owner=demo_conn.current_project_id)} == before


def test_aws_cli(aws_cli, public_image, cloud_info):
    out = aws_cli("demo", "describe-images", "--image-ids", public_image["ImageId"])
    assert [i["ImageId"] for i in out["Images"]] == [public_image["ImageId"]]
    out = aws_cli("alt", "describe-images", "--filters", f"Name=name,Values={cloud_info['image']['name']}")
    assert [i["ImageId"] for i in out["Images"]] == [public_image["ImageId"]]
    failed = aws_cli("demo", "describe-images", "--image-ids", UNKNOWN, check=False)
    assert failed.returncode != 0 and "InvalidAMIID.NotFound" in failed.stderr
    attr = aws_cli("demo", "describe-image-attribute", "--image-id", public_image["ImageId"],
                   "--attribute", "description")
    assert attr["Description"]["Value"] == public_image["Description"]
