"""Routes via a network interface or an instance (CreateRoute/ReplaceRoute ``NetworkInterfaceId`` /
``InstanceId``): the VPC router's extra routes, kept in step with the tables in effect, checked in
Neutron after every change; their state and ``InstanceId`` as AWS shows them; bad input with the
router checked unchanged; the other project kept out; boto3 and the aws CLI."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration._vpc_kit import FAST, error_code, main_table_id, vpc

pytestmark = pytest.mark.cloud
CIDR = "10.141.0.0/16"
SUBNET = "10.141.1.0/24"


def _router_routes(conn, vpc_id: str) -> set[tuple[str, str]]:
    router = [r for r in conn.network.routers() if r.name == vpc_id][0]
    return {(r["destination"], r["nexthop"]) for r in conn.network.get_router(router.id).routes or []}


def _routes(ec2, rtb: str) -> dict[str, dict]:
    table = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
    return {r["DestinationCidrBlock"]: r for r in table["Routes"] if r.get("GatewayId") != "local"}


@pytest.fixture(scope="module")
def net(ec2_demo, image_id):
    """A VPC with a subnet, its main table, an instance (one interface) and a detached interface."""
    with vpc(ec2_demo, CIDR) as made:
        vpc_id = made["VpcId"]
        subnet = ec2_demo.create_subnet(VpcId=vpc_id, CidrBlock=SUBNET)["Subnet"]["SubnetId"]
        eni = ec2_demo.create_network_interface(SubnetId=subnet)["NetworkInterface"]
        instance = ec2_demo.run_instances(ImageId=image_id, InstanceType="t3.nano", MinCount=1, MaxCount=1,
                                          SubnetId=subnet)["Instances"][0]
        try:
            ec2_demo.get_waiter("instance_running").wait(InstanceIds=[instance["InstanceId"]], WaiterConfig=FAST)
            instance = ec2_demo.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0][
                "Instances"][0]
            yield {"vpc": vpc_id, "subnet": subnet, "main": main_table_id(ec2_demo, vpc_id), "eni": eni["NetworkInterfaceId"],
                   "eni_ip": eni["PrivateIpAddress"], "instance": instance["InstanceId"],
                   "instance_eni": instance["NetworkInterfaces"][0]["NetworkInterfaceId"],
                   "instance_ip": instance["PrivateIpAddress"]}
        finally:
            ec2_demo.terminate_instances(InstanceIds=[instance["InstanceId"]])
            ec2_demo.get_waiter("instance_terminated").wait(InstanceIds=[instance["InstanceId"]], WaiterConfig=FAST)
            ec2_demo.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])


def test_routes_via_interface_and_instance(ec2_demo, demo_conn, net):
    vpc_id, main, eni = net["vpc"], net["main"], net["eni"]
    # Via a detached interface: the router carries it; nothing answers there yet, so blackhole.
    ec2_demo.create_route(RouteTableId=main, DestinationCidrBlock="172.16.0.0/12", NetworkInterfaceId=eni)
    assert _router_routes(demo_conn, vpc_id) == {("172.16.0.0/12", net["eni_ip"])}
    assert _routes(ec2_demo, main)["172.16.0.0/12"] == {
        "DestinationCidrBlock": "172.16.0.0/12", "NetworkInterfaceId": eni, "Origin": "CreateRoute",
        "State": "blackhole"}
    # Via an instance: its one interface, shown with the instance and its owner.
    ec2_demo.create_route(RouteTableId=main, DestinationCidrBlock="192.168.100.0/24", InstanceId=net["instance"])
    route = _routes(ec2_demo, main)["192.168.100.0/24"]
    assert route["NetworkInterfaceId"] == net["instance_eni"] and route["InstanceId"] == net["instance"]
    assert route["State"] == "active" and route["InstanceOwnerId"]
    assert _router_routes(demo_conn, vpc_id) == {("172.16.0.0/12", net["eni_ip"]),
                                                 ("192.168.100.0/24", net["instance_ip"])}
    # The default route via an instance (a NAT instance): the router's own default is replaced.
    ec2_demo.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", InstanceId=net["instance"])
    assert ("0.0.0.0/0", net["instance_ip"]) in _router_routes(demo_conn, vpc_id)
    ec2_demo.delete_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0")
    assert ("0.0.0.0/0", net["instance_ip"]) not in _router_routes(demo_conn, vpc_id)
    # Attached, the interface's route is active and names the instance; the instance now has two
    # interfaces, so a route must name one of them (AWS's InvalidInstanceID).
    attachment = ec2_demo.attach_network_interface(NetworkInterfaceId=eni, InstanceId=net["instance"],
                                                   DeviceIndex=1)["AttachmentId"]
    try:
        route = _routes(ec2_demo, main)["172.16.0.0/12"]
        assert (route["State"], route.get("InstanceId")) == ("active", net["instance"])
        assert error_code(ec2_demo.create_route, RouteTableId=main, DestinationCidrBlock="198.51.100.0/24",
                          InstanceId=net["instance"]) == "InvalidInstanceID"
        found = ec2_demo.describe_route_tables(Filters=[{"Name": "route.instance-id", "Values": [net["instance"]]},
                                                        {"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
        assert [t["RouteTableId"] for t in found] == [main]
    finally:
        ec2_demo.detach_network_interface(AttachmentId=attachment)
    # ReplaceRoute moves the router's route to the new next hop; DeleteRoute removes it.
    ec2_demo.replace_route(RouteTableId=main, DestinationCidrBlock="172.16.0.0/12",
                           NetworkInterfaceId=net["instance_eni"])
    assert _router_routes(demo_conn, vpc_id) == {("172.16.0.0/12", net["instance_ip"]),
                                                 ("192.168.100.0/24", net["instance_ip"])}
    ec2_demo.delete_route(RouteTableId=main, DestinationCidrBlock="172.16.0.0/12")
    ec2_demo.delete_route(RouteTableId=main, DestinationCidrBlock="192.168.100.0/24")
    assert _router_routes(demo_conn, vpc_id) == set()
    assert _routes(ec2_demo, main) == {}


def test_tables_not_in_effect_and_the_main_association(ec2_demo, demo_conn, net):
    """A table no subnet uses changes nothing in Neutron; making it the main table brings its routes."""
    vpc_id, main = net["vpc"], net["main"]
    other = ec2_demo.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    try:
        ec2_demo.create_route(RouteTableId=other, DestinationCidrBlock="203.0.113.0/24", NetworkInterfaceId=net["eni"])
        assert _router_routes(demo_conn, vpc_id) == set()
        # It differs from the main table, so no subnet can use it (one router per VPC).
        assert error_code(ec2_demo.associate_route_table, RouteTableId=other, SubnetId=net["subnet"]) == "Unsupported"
        main_assoc = [a for t in ec2_demo.describe_route_tables(RouteTableIds=[main])["RouteTables"]
                      for a in t["Associations"] if a["Main"]][0]["RouteTableAssociationId"]
        moved = ec2_demo.replace_route_table_association(AssociationId=main_assoc, RouteTableId=other)[
            "NewAssociationId"]
        assert _router_routes(demo_conn, vpc_id) == {("203.0.113.0/24", net["eni_ip"])}
        ec2_demo.replace_route_table_association(AssociationId=moved, RouteTableId=main)
        assert _router_routes(demo_conn, vpc_id) == set()
    finally:
        ec2_demo.delete_route_table(RouteTableId=other)


def test_bad_input_leaves_the_router_alone(ec2_demo, ec2_alt, demo_conn, net):
    vpc_id, main, eni = net["vpc"], net["main"], net["eni"]
    for kwargs, code in (
            ({"DestinationCidrBlock": "10.141.5.0/24", "NetworkInterfaceId": eni}, "Unsupported"),   # inside local
            ({"DestinationCidrBlock": "10.141.0.0/16", "NetworkInterfaceId": eni}, "Unsupported"),
            ({"DestinationCidrBlock": "172.16.0.1/12", "NetworkInterfaceId": eni}, "InvalidParameterValue"),
            ({"DestinationCidrBlock": "172.16.0.0/12", "NetworkInterfaceId": "eni-nope"},
             "InvalidNetworkInterfaceID.Malformed"),
            ({"DestinationCidrBlock": "172.16.0.0/12", "NetworkInterfaceId": "eni-0123456789abcdef0"},
             "InvalidNetworkInterfaceID.NotFound"),
            ({"DestinationCidrBlock": "172.16.0.0/12", "InstanceId": "i-0123456789abcdef0"},
             "InvalidInstanceID.NotFound"),
            ({"DestinationCidrBlock": "172.16.0.0/12", "NetworkInterfaceId": eni, "InstanceId": net["instance"]},
             "InvalidParameterCombination"),
            ({"DestinationCidrBlock": "172.16.0.0/12"}, "MissingParameter"),
            ({"DestinationCidrBlock": "172.16.0.0/12", "VpcPeeringConnectionId": "pcx-0123456789abcdef0"},
             "InvalidParameterValue")):   # refused by the declarations, naming the member
        assert error_code(ec2_demo.create_route, RouteTableId=main, **kwargs) == code, kwargs
    with vpc(ec2_demo, "10.142.0.0/16") as other:   # an interface of another VPC
        table = ec2_demo.create_route_table(VpcId=other["VpcId"])["RouteTable"]["RouteTableId"]
        try:
            assert error_code(ec2_demo.create_route, RouteTableId=table, DestinationCidrBlock="172.16.0.0/12",
                              NetworkInterfaceId=eni) == "InvalidParameterValue"
        finally:
            ec2_demo.delete_route_table(RouteTableId=table)
    # The other project can route neither to the interface nor to the instance, nor see the table.
    alt_main = main_table_id(ec2_alt)
    assert error_code(ec2_alt.create_route, RouteTableId=alt_main, DestinationCidrBlock="172.16.0.0/12",
                      NetworkInterfaceId=eni) == "InvalidNetworkInterfaceID.NotFound"
    assert error_code(ec2_alt.create_route, RouteTableId=alt_main, DestinationCidrBlock="172.16.0.0/12",
                      InstanceId=net["instance"]) == "InvalidInstanceID.NotFound"
    assert error_code(ec2_alt.create_route, RouteTableId=main, DestinationCidrBlock="172.16.0.0/12",
                      NetworkInterfaceId=eni) == "InvalidRouteTableID.NotFound"
    assert _router_routes(demo_conn, vpc_id) == set()
    assert _routes(ec2_demo, main) == {}


def test_aws_cli_and_deleted_interfaces(ec2_demo, demo_conn, aws_cli, net):
    """The CLI makes and shows interface routes. Deleting an interface takes its route off the
    router at once (the route stays, blackhole, until DeleteRoute); a port deleted behind ec2api's
    back leaves the router's route until its subnet is deleted."""
    vpc_id, main = net["vpc"], net["main"]
    subnet = ec2_demo.create_subnet(VpcId=vpc_id, CidrBlock="10.141.2.0/24")["Subnet"]["SubnetId"]
    first = ec2_demo.create_network_interface(SubnetId=subnet)["NetworkInterface"]
    second = ec2_demo.create_network_interface(SubnetId=subnet)["NetworkInterface"]
    try:
        for dest, made in (("100.64.0.0/10", first), ("198.18.0.0/15", second)):
            aws_cli("demo", "create-route", "--route-table-id", main, "--destination-cidr-block", dest,
                    "--network-interface-id", made["NetworkInterfaceId"])
        shown = aws_cli("demo", "describe-route-tables", "--route-table-ids", main)["RouteTables"][0]["Routes"]
        assert {"DestinationCidrBlock": "100.64.0.0/10", "NetworkInterfaceId": first["NetworkInterfaceId"],
                "Origin": "CreateRoute", "State": "blackhole"} in shown
        assert _router_routes(demo_conn, vpc_id) == {("100.64.0.0/10", first["PrivateIpAddress"]),
                                                     ("198.18.0.0/15", second["PrivateIpAddress"])}
        ec2_demo.delete_network_interface(NetworkInterfaceId=first["NetworkInterfaceId"])
        assert _router_routes(demo_conn, vpc_id) == {("198.18.0.0/15", second["PrivateIpAddress"])}
        assert _routes(ec2_demo, main)["100.64.0.0/10"]["State"] == "blackhole"
        port = [p for p in demo_conn.network.ports(fixed_ips=f"ip_address={second['PrivateIpAddress']}")
                if p.network_id == demo_conn.network.find_network(vpc_id).id][0]
        demo_conn.network.delete_port(port.id)
        ec2_demo.delete_subnet(SubnetId=subnet)
        subnet = None
        assert _router_routes(demo_conn, vpc_id) == set()
        for dest in ("100.64.0.0/10", "198.18.0.0/15"):
            assert _routes(ec2_demo, main)[dest]["State"] == "blackhole"
            ec2_demo.delete_route(RouteTableId=main, DestinationCidrBlock=dest)
        assert _routes(ec2_demo, main) == {}
    finally:
        if subnet:
            for made in (first, second):
                try:
                    ec2_demo.delete_network_interface(NetworkInterfaceId=made["NetworkInterfaceId"])
                except ClientError:
                    pass
            ec2_demo.delete_subnet(SubnetId=subnet)


def test_terminating_the_instance_takes_its_route_off_the_router(ec2_demo, demo_conn, net):
    """Last in the module: it terminates the module's instance."""
    vpc_id, main = net["vpc"], net["main"]
    ec2_demo.create_route(RouteTableId=main, DestinationCidrBlock="192.0.2.0/24", InstanceId=net["instance"])
    assert _router_routes(demo_conn, vpc_id) == {("192.0.2.0/24", net["instance_ip"])}
    ec2_demo.terminate_instances(InstanceIds=[net["instance"]])
    assert _router_routes(demo_conn, vpc_id) == set()
    ec2_demo.get_waiter("instance_terminated").wait(InstanceIds=[net["instance"]], WaiterConfig=FAST)
    route = _routes(ec2_demo, main)["192.0.2.0/24"]
    assert (route["State"], route["NetworkInterfaceId"]) == ("blackhole", net["instance_eni"])
    ec2_demo.delete_route(RouteTableId=main, DestinationCidrBlock="192.0.2.0/24")
