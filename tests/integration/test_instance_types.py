"""Instance types from Nova flavors, offerings per zone, credit specifications: boto3 and the aws CLI."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration._kit import code_of

pytestmark = pytest.mark.cloud


def _all_types(ec2, **kwargs) -> list[dict]:
    pages = ec2.get_paginator("describe_instance_types").paginate(**kwargs)
    return [t for page in pages for t in page["InstanceTypes"]]


def test_t3_micro(ec2_demo, cloud_info):
    (info,) = ec2_demo.describe_instance_types(InstanceTypes=["t3.micro"])["InstanceTypes"]
    flavor = cloud_info["flavors"]["t3.micro"]
    assert info["InstanceType"] == "t3.micro"
    assert info["VCpuInfo"]["DefaultVCpus"] == flavor["vcpus"]
    assert info["VCpuInfo"]["DefaultCores"] == flavor["vcpus"] and info["VCpuInfo"]["DefaultThreadsPerCore"] == 1
    assert info["MemoryInfo"]["SizeInMiB"] == flavor["ram"]
    assert info["BurstablePerformanceSupported"] is True and info["FreeTierEligible"] is True
    assert info["CurrentGeneration"] is True and info["InstanceStorageSupported"] is False
    assert info["ProcessorInfo"]["SupportedArchitectures"] == ["x86_64"]
    assert info["SupportedRootDeviceTypes"] == ["ebs"] and info["SupportedVirtualizationTypes"] == ["hvm"]
    assert info["SupportedUsageClasses"] == ["on-demand"]
    assert info["NetworkInfo"]["MaximumNetworkInterfaces"] >= 2
    (m5,) = ec2_demo.describe_instance_types(InstanceTypes=["m5.large"])["InstanceTypes"]
    assert m5["BurstablePerformanceSupported"] is False and m5["FreeTierEligible"] is False


def test_every_flavor_and_the_paginator(ec2_demo, cloud_info):
    types = _all_types(ec2_demo, PaginationConfig={"PageSize": 5})
    names = [t["InstanceType"] for t in types]
    assert len(names) == len(set(names))
    assert set(cloud_info["flavors"]) <= set(names)
    first = ec2_demo.describe_instance_types(MaxResults=5)
    assert len(first["InstanceTypes"]) == 5 and first["NextToken"]
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_instance_types(MaxResults=101)
    assert code_of(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_instance_types(NextToken="forged")
    assert code_of(e) == "InvalidPaginationToken"


def test_filters(ec2_demo, cloud_info):
    def names(*filters) -> set[str]:
        return {t["InstanceType"] for t in _all_types(ec2_demo, Filters=list(filters))}

    flavors = cloud_info["flavors"]
    assert names({"Name": "burstable-performance-supported", "Values": ["true"]}) == \
        {n for n in flavors if n.startswith("t")}
    assert names({"Name": "vcpu-info.default-vcpus", "Values": ["4"]}) == \
        {n for n, f in flavors.items() if f["vcpus"] == 4}
    assert names({"Name": "instance-type", "Values": ["t3.*"]}) == {n for n in flavors if n.startswith("t3.")}
    assert names({"Name": "memory-info.size-in-mib", "Values": ["1024"]},
                 {"Name": "free-tier-eligible", "Values": ["true"]}) == {"t2.micro", "t3.micro"}
    assert names({"Name": "processor-info.supported-architecture", "Values": ["arm64"]}) == set()
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_instance_types(Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    assert code_of(e) == "InvalidParameterValue"


def test_unknown_instance_type(ec2_demo):
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_instance_types(InstanceTypes=["t3.micro", "p5.48xlarge"])
    assert code_of(e) == "InvalidInstanceType"
    assert "p5.48xlarge" in e.value.response["Error"]["Message"]


def test_offerings(ec2_demo, cloud_info):
    region = cloud_info["region"]
    flavors = set(cloud_info["flavors"])
    offers = ec2_demo.describe_instance_type_offerings()["InstanceTypeOfferings"]
    assert flavors <= {o["InstanceType"] for o in offers}
    assert {(o["LocationType"], o["Location"]) for o in offers} == {("region", region)}

    zones = ec2_demo.describe_availability_zones()["AvailabilityZones"]
    pages = ec2_demo.get_paginator("describe_instance_type_offerings").paginate(
        LocationType="availability-zone", PaginationConfig={"PageSize": 5})
    by_zone = [o for page in pages for o in page["InstanceTypeOfferings"]]
    assert {(o["Location"], o["InstanceType"]) for o in by_zone} >= {
        (z["ZoneName"], t) for z in zones for t in flavors}
    assert len(by_zone) == len({(o["Location"], o["InstanceType"]) for o in by_zone})

    by_id = ec2_demo.describe_instance_type_offerings(
        LocationType="availability-zone-id",
        Filters=[{"Name": "location", "Values": [zones[0]["ZoneId"]]},
                 {"Name": "instance-type", "Values": ["t3.micro"]}])["InstanceTypeOfferings"]
    assert by_id == [{"InstanceType": "t3.micro", "LocationType": "availability-zone-id",
                      "Location": zones[0]["ZoneId"]}]


@pytest.fixture(scope="module")
def instance_id(ec2_demo, cloud_info):
    image = ec2_demo.describe_images(Filters=[{"Name": "name", "Values": [cloud_info["image"]["name"]]}])
    run = ec2_demo.run_instances(ImageId=image["Images"][0]["ImageId"], InstanceType="t3.micro",
                                 MinCount=1, MaxCount=1)
    iid = run["Instances"][0]["InstanceId"]
    yield iid
    ec2_demo.terminate_instances(InstanceIds=[iid])


def test_credit_specifications(ec2_demo, ec2_alt, instance_id):
    specs = ec2_demo.describe_instance_credit_specifications(InstanceIds=[instance_id])
    assert specs["InstanceCreditSpecifications"] == [{"InstanceId": instance_id, "CpuCredits": "standard"}]
    everything = ec2_demo.get_paginator("describe_instance_credit_specifications").paginate(
        PaginationConfig={"PageSize": 5})
    assert instance_id in [s["InstanceId"] for p in everything for s in p["InstanceCreditSpecifications"]]
    filtered = ec2_demo.describe_instance_credit_specifications(
        Filters=[{"Name": "instance-id", "Values": [instance_id]}])["InstanceCreditSpecifications"]
    assert [s["InstanceId"] for s in filtered] == [instance_id]
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_instance_credit_specifications(InstanceIds=["i-0123456789abcdef0"])
    assert code_of(e) == "InvalidInstanceID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_instance_credit_specifications(InstanceIds=["i-nothex"])
    assert code_of(e) == "InvalidInstanceID.Malformed"
    with pytest.raises(ClientError) as e:     # another project's instance does not exist there
        ec2_alt.describe_instance_credit_specifications(InstanceIds=[instance_id])
    assert code_of(e) == "InvalidInstanceID.NotFound"


def test_aws_cli(aws_cli, cloud_info):
    out = aws_cli("demo", "describe-instance-types", "--instance-types", "t3.micro", "t2.micro")
    assert sorted(t["InstanceType"] for t in out["InstanceTypes"]) == ["t2.micro", "t3.micro"]
    assert all(t["BurstablePerformanceSupported"] for t in out["InstanceTypes"])
    offers = aws_cli("demo", "describe-instance-type-offerings", "--location-type", "availability-zone",
                     "--filters", "Name=instance-type,Values=m5.large")
    assert offers["InstanceTypeOfferings"] and all(
        o["InstanceType"] == "m5.large" for o in offers["InstanceTypeOfferings"])
    failed = aws_cli("demo", "describe-instance-types", "--instance-types", "p5.48xlarge", check=False)
    assert failed.returncode != 0 and "InvalidInstanceType" in failed.stderr
