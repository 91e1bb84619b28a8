"""A synthetic pair of small EC2-style models in which every kind of change happens exactly once,
and a tiny project tree whose handler implements some of their operations.

``OLD`` -> ``NEW``, operation by operation:

* ``DescribeThings``: input ``New`` added, ``NewReq`` added (required), ``Gone`` removed, ``Req``
  became required, ``Opt`` became optional, ``Kind`` string -> integer, ``Mode`` enum gains ``d`` and
  loses ``c``, ``MaxResults`` range 5..100 -> 5..1000, ``Size`` length 1..10 -> 1..20; output
  ``Things[].Fresh`` (a structure: its own members are not reported again) added, ``Things[].Old``
  removed; error ``OldError`` -> ``NewError``; paginator limit key changed; waiter ``ThingReady``
  added, ``ThingGone`` removed, ``ThingExists`` changed; filter ``new-filter`` documented,
  ``old-filter`` no longer.
* ``ListA`` gains a paginator, ``ListB`` loses one; ``RemovedOp`` is removed, ``AddedOp`` added.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _filters_doc(names: list[str]) -> str:
    items = "".join(f"<li> <p> <code>{n}</code> - the {n}.</p> </li>" for n in names)
    return f"<p>The filters.</p> <ul> {items} </ul>"


def _op(name: str, output: bool = True) -> dict:
    op = {"name": name, "http": {"method": "POST", "requestUri": "/"}, "input": {"shape": f"{name}Request"}}
    if output:
        op["output"] = {"shape": f"{name}Result"}
    return op


_SHAPES = {
    "String": {"type": "string"},
    "Integer": {"type": "integer"},
    "Boolean": {"type": "boolean"},
    "Size": {"type": "string", "min": 1, "max": 10},
    "MaxResults": {"type": "integer", "min": 5, "max": 100},
    "Kind": {"type": "string"},
    "Mode": {"type": "string", "enum": ["a", "b", "c"]},
    "ValueList": {"type": "list", "member": {"shape": "String", "locationName": "item"}},
    "Filter": {"type": "structure", "members": {
        "Name": {"shape": "String"}, "Values": {"shape": "ValueList", "locationName": "Value"}}},
    "FilterList": {"type": "list", "member": {"shape": "Filter", "locationName": "Filter"}},
    "Thing": {"type": "structure", "members": {
        "Id": {"shape": "String", "locationName": "id"},
        "State": {"shape": "String", "locationName": "state"},
        "Old": {"shape": "String", "locationName": "old"}}},
    "ThingList": {"type": "list", "member": {"shape": "Thing", "locationName": "item"}},
    "DescribeThingsRequest": {"type": "structure", "required": ["Opt"], "members": {
        "Filters": {"shape": "FilterList", "locationName": "Filter",
                    "documentation": _filters_doc(["kept-filter", "old-filter"])},
        "MaxResults": {"shape": "MaxResults"},
        "NextToken": {"shape": "String"},
        "Mode": {"shape": "Mode"},
        "Gone": {"shape": "String"},
        "Size": {"shape": "Size"},
        "Kind": {"shape": "Kind"},
        "Opt": {"shape": "String"},
        "Req": {"shape": "String"},
        "Refused": {"shape": "Boolean"},
        "DryRun": {"shape": "Boolean", "locationName": "dryRun"}}},
    "DescribeThingsResult": {"type": "structure", "members": {
        "Things": {"shape": "ThingList", "locationName": "thingSet"},
        "NextToken": {"shape": "String", "locationName": "nextToken"}}},
    "OldError": {"type": "structure", "members": {}},
}
for _name in ("ListA", "ListB", "RemovedOp"):
    _SHAPES[f"{_name}Request"] = {"type": "structure", "members": {
        "MaxResults": {"shape": "Integer"}, "NextToken": {"shape": "String"}}}
    _SHAPES[f"{_name}Result"] = {"type": "structure", "members": {"Items": {"shape": "ValueList"}}}

OLD_SERVICE = {
    "version": "2.0",
    "metadata": {"apiVersion": "2016-11-15", "protocol": "ec2", "serviceId": "EC2",
                 "endpointPrefix": "ec2", "xmlNamespace": "http://ec2.amazonaws.com/doc/2016-11-15"},
    "operations": {
        "DescribeThings": {**_op("DescribeThings"), "errors": [{"shape": "OldError"}]},
        "ListA": _op("ListA"), "ListB": _op("ListB"), "RemovedOp": _op("RemovedOp"),
    },
    "shapes": _SHAPES,
}
_PAGER = {"input_token": "NextToken", "output_token": "NextToken", "limit_key": "MaxResults",
          "result_key": "Things"}
OLD_PAGINATORS = {"pagination": {"DescribeThings": dict(_PAGER),
                                 "ListB": {**_PAGER, "result_key": "Items"}}}
_EXISTS = {"operation": "DescribeThings", "delay": 5, "maxAttempts": 40, "acceptors": [
    {"matcher": "path", "argument": "length(Things[]) > `0`", "expected": True, "state": "success"}]}
OLD_WAITERS = {"version": 2, "waiters": {
    "ThingExists": _EXISTS,
    "ThingGone": {**_EXISTS, "acceptors": [{"matcher": "error", "expected": "NotFound", "state": "success"}]},
}}


def _new_service() -> dict:
    new = copy.deepcopy(OLD_SERVICE)
    shapes, ops = new["shapes"], new["operations"]
    request = shapes["DescribeThingsRequest"]
    request["members"]["Filters"]["documentation"] = _filters_doc(["kept-filter", "new-filter"])
    del request["members"]["Gone"]
    request["members"]["New"] = {"shape": "String"}
    request["members"]["NewReq"] = {"shape": "String"}
    request["required"] = ["Req", "NewReq"]
    shapes["Kind"] = {"type": "integer"}
    shapes["Mode"] = {"type": "string", "enum": ["a", "b", "d"]}
    shapes["MaxResults"] = {"type": "integer", "min": 5, "max": 1000}
    shapes["Size"] = {"type": "string", "min": 1, "max": 20}
    thing = shapes["Thing"]["members"]
    del thing["Old"]
    thing["Fresh"] = {"shape": "Freshness", "locationName": "fresh"}
    shapes["Freshness"] = {"type": "structure", "members": {"Level": {"shape": "Integer"}}}
    shapes["NewError"] = {"type": "structure", "members": {}}
    ops["DescribeThings"]["errors"] = [{"shape": "NewError"}]
    del ops["RemovedOp"]
    ops["AddedOp"] = _op("AddedOp", output=False)
    shapes["AddedOpRequest"] = {"type": "structure", "members": {"Name": {"shape": "String"}}}
    return new


NEW_SERVICE = _new_service()
NEW_PAGINATORS = {"pagination": {"DescribeThings": {**_PAGER, "limit_key": "Size"},
                                 "ListA": {**_PAGER, "result_key": "Items"}}}
NEW_WAITERS = {"version": 2, "waiters": {
    "ThingExists": {**_EXISTS, "delay": 15},
    "ThingReady": {**_EXISTS, "acceptors": [
        {"matcher": "pathAll", "argument": "Things[].Ready", "expected": True, "state": "success"}]},
}}


def write_model(directory: Path, service: dict, paginators: dict, waiters: dict) -> Path:
    """The three model files in ``directory``; returns the ``service-2.json`` path."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in (("service-2.json", service), ("paginators-1.json", paginators),
                       ("waiters-2.json", waiters)):
        (directory / name).write_text(json.dumps(data, indent=1))
    return directory / "service-2.json"


def write_pair(tmp: Path) -> tuple[Path, Path]:
    return (write_model(tmp / "old", OLD_SERVICE, OLD_PAGINATORS, OLD_WAITERS),
            write_model(tmp / "new", NEW_SERVICE, NEW_PAGINATORS, NEW_WAITERS))


# The handler module of the tiny project: DescribeThings, ListB and RemovedOp are implemented.
HANDLER_SOURCE = '''
from ec2api_runtime import pagination
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.filters import apply_filters

_FILTERS = {"old-filter": lambda t: t["Id"]}
_FILTERS.update({"kept-filter": lambda t: t["State"]})
_MODES = {"a": 1, "c": 3}


def _kind(params):
    return params.get("Kind")


@handler("DescribeThings")
def describe_things(ctx, params):
    if params.get("Refused"):
        raise EC2Error("Unsupported", "Refused is not supported")

    def value_of(member):
        return params.get(member)

    mode = _MODES.get(value_of("Mode"))
    items = [{"Id": params["Opt"], "State": str(mode), "Old": params.get("Gone"), "Kind": _kind(params)}]
    items = apply_filters("DescribeThings", params.get("Filters"), items, _FILTERS)
    return pagination.page(ctx, params, "DescribeThings", "Things", items, key=lambda t: t["Id"])


@handler("ListB")
def list_b(ctx, params):
    return pagination.page(ctx, params, "ListB", "Items", [], key=str)


@handler("RemovedOp")
def removed_op(ctx, params):
    return {"Items": []}
'''


def write_project(root: Path) -> Path:
    """A project tree with one handler module; ``ec2api_runtime`` is the real one (a symlink)."""
    (root / "handlers").mkdir(parents=True, exist_ok=True)
    (root / "handlers" / "__init__.py").write_text("")
    (root / "handlers" / "things.py").write_text(HANDLER_SOURCE)
    (root / "ec2api_runtime").symlink_to(ROOT / "ec2api_runtime")
    return root


# Every change of OLD -> NEW, once each, with what it means for the handler above:
# (operation, kind, side, path, level).
EXPECTED = [
    ("AddedOp", "operation-added", "", "", None),                     # not implemented
    ("DescribeThings", "member-added", "input", "New", "gap"),
    ("DescribeThings", "member-added", "input", "NewReq", "breaking"),
    ("DescribeThings", "member-added", "output", "Things[].Fresh", "gap"),
    ("DescribeThings", "member-removed", "input", "Gone", "breaking"),
    ("DescribeThings", "member-removed", "output", "Things[].Old", "info"),
    ("DescribeThings", "became-required", "input", "Req", "breaking"),
    ("DescribeThings", "became-optional", "input", "Opt", "breaking"),
    ("DescribeThings", "type-changed", "input", "Kind", "breaking"),
    ("DescribeThings", "enum-values-added", "input", "Mode", "info"),
    ("DescribeThings", "enum-values-removed", "input", "Mode", "breaking"),
    ("DescribeThings", "range-changed", "input", "MaxResults", "info"),
    ("DescribeThings", "length-changed", "input", "Size", "info"),
    ("DescribeThings", "error-added", "", "NewError", "info"),
    ("DescribeThings", "error-removed", "", "OldError", "info"),
    ("DescribeThings", "paginator-changed", "", "DescribeThings", "gap"),
    ("DescribeThings", "waiter-added", "", "ThingReady", "gap"),
    ("DescribeThings", "waiter-removed", "", "ThingGone", "info"),
    ("DescribeThings", "waiter-changed", "", "ThingExists", "info"),
    ("DescribeThings", "filter-added", "", "new-filter", "gap"),
    ("DescribeThings", "filter-removed", "", "old-filter", "info"),
    ("ListA", "paginator-added", "", "ListA", None),                 # not implemented
    ("ListB", "paginator-removed", "", "ListB", "info"),
    ("RemovedOp", "operation-removed", "", "", "breaking"),
]
