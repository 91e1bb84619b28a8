"""Enable/DisableImageDeprecation (a Glance property) and DescribeImages' DeprecationTime and
IncludeDeprecated, through boto3 and the aws CLI; only the owner may change it; AWS's time rules."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration._kit import code_of

pytestmark = pytest.mark.cloud

PROPERTY = "ec2api_deprecation_time"


@pytest.fixture
def own_image(ec2_demo, demo_conn):
    """A Glance image of the demo project (no data: a queued image is enough to deprecate) and its id."""
    name = f"deprecate-{uuid.uuid4().hex[:8]}"
    image = demo_conn.image.create_image(name=name, disk_format="raw", container_format="bare")
    try:
        (found,) = ec2_demo.describe_images(Filters=[{"Name": "name", "Values": [name]}])["Images"]
        yield {"ImageId": found["ImageId"], "Name": name, "glance": image.id}
    finally:
        demo_conn.image.delete_image(image.id, ignore_missing=True)


def _image(ec2, image_id: str) -> dict:
    return ec2.describe_images(ImageIds=[image_id])["Images"][0]


def test_deprecation_time_is_kept_and_shown(ec2_demo, ec2_alt, own_image, demo_conn):
    image_id = own_image["ImageId"]
    assert "DeprecationTime" not in _image(ec2_demo, image_id)
    at = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).replace(second=40, microsecond=0)
    assert ec2_demo.enable_image_deprecation(ImageId=image_id, DeprecateAt=at)["Return"] is True
    rounded = (at + dt.timedelta(minutes=1)).replace(second=0)   # the nearest minute, as AWS rounds
    assert _image(ec2_demo, image_id)["DeprecationTime"] == rounded.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    # Moving it replaces the property.
    later = at + dt.timedelta(days=1)
    ec2_demo.enable_image_deprecation(ImageId=image_id, DeprecateAt=later.replace(second=10))
    assert _image(ec2_demo, image_id)["DeprecationTime"] == later.strftime("%Y-%m-%dT%H:%M:00.000Z")

    # AWS's rules: not in the past, not beyond 10 years; nothing changed.
    for bad in (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1), dt.datetime.now(dt.UTC) + dt.timedelta(days=3700)):
        with pytest.raises(ClientError) as e:
            ec2_demo.enable_image_deprecation(ImageId=image_id, DeprecateAt=bad)
        assert code_of(e) == "InvalidParameterValue"
    assert _image(ec2_demo, image_id)["DeprecationTime"] == later.strftime("%Y-%m-%dT%H:%M:00.000Z")
    for image, code in (("ami-123", "InvalidAMIID.Malformed"), ("ami-0123456789abcdef0", "InvalidAMIID.NotFound")):
        with pytest.raises(ClientError) as e:
            ec2_demo.enable_image_deprecation(ImageId=image, DeprecateAt=at)
        assert code_of(e) == code

    # The other project: a private image is not found; a community one is not theirs to change.
    with pytest.raises(ClientError) as e:
        ec2_alt.enable_image_deprecation(ImageId=image_id, DeprecateAt=at)
    assert code_of(e) == "InvalidAMIID.NotFound"
    ec2_demo.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"Group": "all"}]})
    for change in (lambda: ec2_alt.enable_image_deprecation(ImageId=image_id, DeprecateAt=at),
                   lambda: ec2_alt.disable_image_deprecation(ImageId=image_id)):
        with pytest.raises(ClientError) as e:
            change()
        assert code_of(e) == "AuthFailure"
    assert _image(ec2_alt, image_id)["DeprecationTime"] == later.strftime("%Y-%m-%dT%H:%M:00.000Z")
    # A public image: at most 2 years after its creation.
    with pytest.raises(ClientError) as e:
        ec2_demo.enable_image_deprecation(ImageId=image_id, DeprecateAt=dt.datetime.now(dt.UTC)
                                          + dt.timedelta(days=3 * 365))
    assert code_of(e) == "InvalidParameterValue"

    # Past its time (set in Glance: the API refuses a past time), another owner's image leaves
    # listings unless IncludeDeprecated; by id, and to its owner, it is still shown.
    demo_conn.image.update_image(own_image["glance"], **{PROPERTY: "2020-01-01T00:00:00Z"})
    by_name = [{"Name": "name", "Values": [own_image["Name"]]}]
    assert ec2_alt.describe_images(Filters=by_name)["Images"] == []
    assert [i["ImageId"] for i in ec2_alt.describe_images(Filters=by_name, IncludeDeprecated=True)["Images"]] == [
        image_id]
    assert _image(ec2_alt, image_id)["DeprecationTime"] == "2020-01-01T00:00:00.000Z"
    assert [i["ImageId"] for i in ec2_demo.describe_images(Filters=by_name)["Images"]] == [image_id]

    assert ec2_demo.disable_image_deprecation(ImageId=image_id)["Return"] is True
    assert "DeprecationTime" not in _image(ec2_demo, image_id)
    assert ec2_demo.disable_image_deprecation(ImageId=image_id)["Return"] is True   # none: nothing to do
    assert [i["ImageId"] for i in ec2_alt.describe_images(Filters=by_name)["Images"]] == [image_id]


def test_aws_cli(aws_cli, own_image):
    image_id = own_image["ImageId"]
    at = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:00Z")
    assert aws_cli("demo", "enable-image-deprecation", "--image-id", image_id, "--deprecate-at", at)["Return"] is True
    shown = aws_cli("demo", "describe-images", "--image-ids", image_id)["Images"][0]
    assert shown["DeprecationTime"] == at.replace(":00Z", ":00.000Z")
    assert aws_cli("demo", "disable-image-deprecation", "--image-id", image_id)["Return"] is True
    assert "DeprecationTime" not in aws_cli("demo", "describe-images", "--image-ids", image_id)["Images"][0]
    failed = aws_cli("demo", "enable-image-deprecation", "--image-id", image_id, "--deprecate-at",
                     "2001-01-01T00:00:00Z", check=False)
    assert failed.returncode != 0 and "InvalidParameterValue" in failed.stderr
