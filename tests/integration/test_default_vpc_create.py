"""CreateDefaultVpc in a project of its own (demo and alt have default VPCs): the VPC, a default
subnet per zone, an internet gateway attached and the main route 0.0.0.0/0 via it, as AWS gives;
torn down through EC2, and nothing of the project left in Neutron."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.integration._vpc_kit import error_code
from tests.integration.conftest import _client

pytestmark = pytest.mark.cloud


@pytest.fixture
def fresh(admin_conn, cloud_info, ec2api_url):
    """``(boto3 client, project id)`` of a new project with a member user and EC2 credentials."""
    name = f"ec2api-dvpc-{uuid.uuid4().hex[:8]}"
    ident = admin_conn.identity
    project = ident.create_project(name=name, domain_id="default")
    user = ident.create_user(name=name, password=uuid.uuid4().hex, domain_id="default", default_project_id=project.id)
    creds = {"access": uuid.uuid4().hex, "secret": uuid.uuid4().hex}
    try:
        ident.assign_project_role_to_user(project, user, ident.find_role("member"))
        ident.create_credential(type="ec2", user_id=user.id, project_id=project.id, blob=json.dumps(creds))
        yield _client(ec2api_url, creds, cloud_info["region"]), project.id
    finally:
        net = admin_conn.network
        for router in net.routers(project_id=project.id):
            net.update_router(router, external_gateway_info={})
            for port in net.ports(device_id=router.id, device_owner="network:router_interface"):
                net.remove_interface_from_router(router, port_id=port.id)
            net.delete_router(router)
        for network in net.networks(project_id=project.id):
            net.delete_network(network)
        for group in net.security_groups(project_id=project.id):
            net.delete_security_group(group)
        ident.delete_user(user)
        ident.delete_project(project)


def test_create_default_vpc_as_aws_does(fresh, admin_conn, cloud_info):
    ec2, project_id = fresh
    attr = ec2.describe_account_attributes(AttributeNames=["default-vpc"])["AccountAttributes"][0]
    assert attr["AttributeValues"][0]["AttributeValue"] == "none"
    made = ec2.create_default_vpc()["Vpc"]
    vpc_id = made["VpcId"]
    assert made["IsDefault"] is True and made["CidrBlock"] == "172.31.0.0/16"
    assert error_code(ec2.create_default_vpc) == "DefaultVpcAlreadyExists"
    (gw,) = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])[
        "InternetGateways"]
    assert gw["Attachments"] == [{"VpcId": vpc_id, "State": "available"}]
    (main,) = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                 {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
    routes = {r["DestinationCidrBlock"]: r for r in main["Routes"]}
    assert routes["172.31.0.0/16"]["GatewayId"] == "local"
    assert routes["0.0.0.0/0"]["GatewayId"] == gw["InternetGatewayId"] and routes["0.0.0.0/0"]["State"] == "active"
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    assert subnets and all(s["DefaultForAz"] for s in subnets)
    (router,) = list(admin_conn.network.routers(project_id=project_id))
    assert router.external_gateway_info["network_id"] == cloud_info["networks"]["public_network_id"]
    # Deleted in the order AWS requires.
    assert error_code(ec2.delete_vpc, VpcId=vpc_id) == "DependencyViolation"
    ec2.detach_internet_gateway(InternetGatewayId=gw["InternetGatewayId"], VpcId=vpc_id)
    ec2.delete_internet_gateway(InternetGatewayId=gw["InternetGatewayId"])
    for s in subnets:
        ec2.delete_subnet(SubnetId=s["SubnetId"])
    ec2.delete_vpc(VpcId=vpc_id)
    assert not list(admin_conn.network.networks(project_id=project_id))
    assert not list(admin_conn.network.routers(project_id=project_id))
