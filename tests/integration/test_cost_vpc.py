"""Cost of the VPC Describes: by id, no project listing of networks, subnets or routers; without ids,
a constant number of calls however many VPCs there are.

In-process on the real test cloud (the app with the real authenticator, requests signed by
botocore), so that every OpenStack call the request makes is recorded and asserted on.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from falcon import testing
from lxml import etree

from ec2api_runtime import openstack
from ec2api_runtime.app import create_app
from ec2api_runtime.config import Config
from ec2api_runtime.db import Database

pytestmark = pytest.mark.cloud
NS = {"e": "http://ec2.amazonaws.com/doc/2016-11-15/"}


@pytest.fixture(scope="module")
def call(cloud_info, tmp_path_factory):
    config = Config.from_cloud_json(Path(cloud_info["state_dir"]) / "cloud.json")
    config.database_url = f"sqlite:///{tmp_path_factory.mktemp('cost') / 'state.sqlite'}"
    db = Database(config.database_url)
    db.upgrade()
    client = testing.TestClient(create_app(config, db=db))
    creds = cloud_info["ec2_credentials"]["demo"]

    def run(**fields):
        body = urlencode({"Version": "2016-11-15", **fields})
        req = AWSRequest(method="POST", url="http://localhost/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        botocore.auth.SigV4Auth(Credentials(creds["access"], creds["secret"]), "ec2",
                                cloud_info["region"]).add_auth(req)
        resp = client.simulate_post("/", body=body, headers=dict(req.headers.items()), host="localhost")
        assert resp.status_code == 200, resp.text
        return etree.fromstring(resp.content)

    return run


def _paths(log):
    """The calls as ``METHOD path?query`` without host and version prefix, e.g. ``GET /servers/x``."""
    return [f"{m} {re.sub(r'^https?://[^/]+(/v[0-9.]+)?(/[0-9a-f]{32})?', '', u)}" for m, u in log]


def _listing(calls, kind):
    """The calls that list the project's ``kind`` (a GET of the collection without ``id=``)."""
    return [c for c in calls if re.match(rf"GET /{kind}(\?|$)", c) and "id=" not in c.split("?", 1)[-1]
            and "network_id=" not in c]


def test_vpc_describes_by_id_list_nothing(call):
    made = call(Action="CreateVpc", CidrBlock="10.83.0.0/16")
    vpc_id = made.findtext(".//e:vpcId", namespaces=NS)
    subnet_id = None
    try:
        sub = call(Action="CreateSubnet", VpcId=vpc_id, CidrBlock="10.83.1.0/24")
        subnet_id = sub.findtext(".//e:subnetId", namespaces=NS)
        tables = call(Action="DescribeRouteTables", **{"Filter.1.Name": "vpc-id", "Filter.1.Value.1": vpc_id})
        rtb_id = tables.findtext(".//e:routeTableId", namespaces=NS)
        for action, field, wanted in (("DescribeVpcs", "VpcId.1", vpc_id), ("DescribeSubnets", "SubnetId.1", subnet_id),
                                      ("DescribeRouteTables", "RouteTableId.1", rtb_id)):
            call(Action=action, **{field: wanted})   # warm: ids known, endpoints found
            with openstack.HTTP.recording() as log:
                found = call(Action=action, **{field: wanted})
            assert wanted in etree.tostring(found).decode()
            calls = _paths(log)
            for kind in ("networks", "subnets", "routers", "ports"):
                assert not _listing(calls, kind), (action, calls)
            assert len(calls) <= 4, (action, calls)
        with openstack.HTTP.recording() as log:
            call(Action="DescribeVpcs")
        assert len(_paths(log)) <= 3, _paths(log)   # networks, subnets, the default VPC's network
    finally:
        if subnet_id:
            call(Action="DeleteSubnet", SubnetId=subnet_id)
        call(Action="DeleteVpc", VpcId=vpc_id)
