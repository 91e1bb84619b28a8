"""The pure parts of the ENI mapping (handlers._interfaces, handlers._launch_interfaces)."""

from __future__ import annotations

import pytest

from ec2api_runtime.errors import EC2Error
from handlers import _interfaces as eni
from handlers import _launch_interfaces as launch


def _port(pid: str, created: str, *ips: str) -> dict:
    return {"id": pid, "created_at": created, "fixed_ips": [{"subnet_id": "s", "ip_address": ip} for ip in ips]}


def test_device_indexes_keep_recorded_ones_and_number_the_rest_in_creation_order():
    ports = [_port("b", "2", "10.0.0.6"), _port("a", "1", "10.0.0.5"), _port("c", "3", "10.0.0.7")]
    assert eni.device_indexes(ports, {}) == {"a": 0, "b": 1, "c": 2}
    assert eni.device_indexes(ports, {"c": {"device_index": 1}}) == {"a": 0, "b": 2, "c": 1}


def test_the_recorded_primary_address_comes_first():
    port = _port("a", "1", "10.0.0.10", "10.0.0.9")   # Neutron sorts them as strings
    assert eni.v4_ips(port)[0]["ip_address"] == "10.0.0.10"
    assert eni.v4_ips(port, {"primary_ip": "10.0.0.9"})[0]["ip_address"] == "10.0.0.9"


def test_attachment_ids_name_their_interface():
    attachment = eni.attachment_id("eni-0123456789abcdef0")
    assert attachment == "eni-attach-0123456789abcdef0"
    assert eni.eni_of_attachment(attachment) == "eni-0123456789abcdef0"
    with pytest.raises(EC2Error) as e:
        eni.eni_of_attachment("eni-attach-xyz")
    assert e.value.code == "InvalidAttachmentID.NotFound"


def test_source_dest_check_is_the_any_address_pair():
    assert eni.source_dest_check({"allowed_address_pairs": []})
    assert eni.source_dest_check({"allowed_address_pairs": [{"ip_address": "10.0.0.8/32"}]})
    assert not eni.source_dest_check({"allowed_address_pairs": [{"ip_address": "0.0.0.0/0"}]})


def test_delete_on_termination_defaults():
    assert eni.delete_on_termination({}) is True                     # Nova's port: Nova deletes it
    assert eni.delete_on_termination({"made": True}) is False
    assert eni.delete_on_termination({"made": True, "delete_on_termination": True}) is True


def test_addresses_and_fixed_ips():
    assert eni.addresses({"PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.5", "Primary": True},
                                                 {"PrivateIpAddress": "10.0.0.6"}]}) == ("10.0.0.5", ["10.0.0.6"])
    with pytest.raises(EC2Error):
        eni.addresses({"PrivateIpAddress": "10.0.0.7", "PrivateIpAddresses": [
            {"PrivateIpAddress": "10.0.0.5", "Primary": True}]})
    subnet = {"id": "s", "cidr": "10.0.0.0/24"}
    assert eni.fixed_ips(subnet, "10.0.0.5", [], 2) == [
        {"subnet_id": "s", "ip_address": "10.0.0.5"}, {"subnet_id": "s"}, {"subnet_id": "s"}]
    with pytest.raises(EC2Error) as e:
        eni.fixed_ips(subnet, "10.1.0.5", [], 0)
    assert e.value.code == "InvalidParameterValue"


@pytest.mark.parametrize(("nics", "needed"), [
    ([], False),
    ([{"DeviceIndex": 0, "SubnetId": "subnet-1"}], False),
    ([{"DeviceIndex": 0, "SubnetId": "subnet-1", "AssociatePublicIpAddress": False}], False),
    ([{"DeviceIndex": 0, "SubnetId": "subnet-1", "AssociatePublicIpAddress": True}], True),
    ([{"DeviceIndex": 0, "NetworkInterfaceId": "eni-1"}], True),
    ([{"DeviceIndex": 0, "SubnetId": "s"}, {"DeviceIndex": 1, "SubnetId": "s"}], True),
    ([{"DeviceIndex": 0, "SubnetId": "s", "DeleteOnTermination": False}], True),
])
def test_which_launches_need_ports_made_by_ec2api(nics, needed):
    assert launch._needs_ports({"NetworkInterfaces": nics}, False) is needed
