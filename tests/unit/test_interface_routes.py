"""The VPC router's extra routes follow the route tables in effect (handlers/_routes.py): what is
carried, and the router put back when the database write after it fails."""

from __future__ import annotations

import pytest

from handlers import _routes
from tests.unit.conftest import make_ctx

ENI_ROUTE = {"DestinationCidrBlock": "172.16.0.0/12", "NetworkInterfaceId": "eni-0123456789abcdef0",
             "nexthop": "10.0.1.9"}


def test_only_tables_in_effect_are_carried() -> None:
    records = {
        "rtb-main": {"vpc_id": "vpc-a", "main": True, "routes": [ENI_ROUTE]},
        "rtb-spare": {"vpc_id": "vpc-a", "main": False, "assoc": {}, "routes": [
            {**ENI_ROUTE, "DestinationCidrBlock": "203.0.113.0/24"}]},
        "rtb-used": {"vpc_id": "vpc-a", "main": False, "assoc": {"rtbassoc-1": "subnet-1"}, "routes": [ENI_ROUTE]},
        "rtb-igw": {"vpc_id": "vpc-a", "main": False, "assoc": {"rtbassoc-2": "subnet-2"}, "routes": [
            {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}]},
        "rtb-other": {"vpc_id": "vpc-b", "main": True, "routes": [{**ENI_ROUTE, "nexthop": "10.9.0.5"}]},
    }
    assert _routes.carried("vpc-a", records) == {("172.16.0.0/12", "10.0.1.9")}
    assert _routes.carried("vpc-b", records) == {("172.16.0.0/12", "10.9.0.5")}


def test_view_shows_the_interface_state_and_keeps_the_next_hop_private() -> None:
    data = {"vpc_id": "vpc-a", "main": True, "main_assoc": "rtbassoc-m", "routes": [ENI_ROUTE]}
    detached = _routes.view("123456789012", "rtb-1", data, ["10.0.0.0/16"], set(), [],
                            {"eni-0123456789abcdef0": None})
    attached = _routes.view("123456789012", "rtb-1", data, ["10.0.0.0/16"], set(), [],
                            {"eni-0123456789abcdef0": "i-0123456789abcdef0"})
    gone = _routes.view("123456789012", "rtb-1", data, ["10.0.0.0/16"], set(), [], {})
    assert detached["Routes"][1] == {"DestinationCidrBlock": "172.16.0.0/12", "Origin": "CreateRoute",
                                     "NetworkInterfaceId": "eni-0123456789abcdef0", "State": "blackhole"}
    assert attached["Routes"][1] == {**detached["Routes"][1], "State": "active", "InstanceId": "i-0123456789abcdef0",
                                     "InstanceOwnerId": "123456789012"}
    assert gone["Routes"][1]["State"] == "blackhole"


def test_router_is_put_back_when_the_database_write_fails(db, monkeypatch) -> None:
    calls: list[tuple[str, set, set]] = []
    monkeypatch.setattr(_routes, "_vpc_router", lambda ctx, vpc_id: "router-1")
    monkeypatch.setattr(_routes, "change_router", lambda ctx, router, add, remove: calls.append((router, add, remove)))

    def broken_save(ctx, changed):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(_routes, "save", broken_save)
    records = {"rtb-main": {"vpc_id": "vpc-a", "main": True, "routes": [ENI_ROUTE]}}
    with pytest.raises(RuntimeError):
        _routes.commit(make_ctx(db), "vpc-a", set(), records, records)
    added = {("172.16.0.0/12", "10.0.1.9")}
    assert calls == [("router-1", added, set()), ("router-1", set(), added)]


def test_no_router_call_when_nothing_carried_changes(db, monkeypatch) -> None:
    monkeypatch.setattr(_routes, "change_router", lambda *a: pytest.fail("the router must not change"))
    records = {"rtb-main": {"vpc_id": "vpc-a", "main": True, "routes": [ENI_ROUTE]},
               "rtb-spare": {"vpc_id": "vpc-a", "main": False, "routes": []}}
    saved = []
    monkeypatch.setattr(_routes, "save", lambda ctx, changed: saved.append(changed))
    records["rtb-spare"]["routes"] = [ENI_ROUTE]   # a table no subnet uses
    _routes.commit(make_ctx(db), "vpc-a", {("172.16.0.0/12", "10.0.1.9")}, records, {"rtb-spare": records["rtb-spare"]})
    assert saved == [{"rtb-spare": records["rtb-spare"]}]
