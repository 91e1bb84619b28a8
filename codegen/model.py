"""The model, read once and resolved into what the templates need.

``load_model`` reads a botocore ``service-2.json`` (optionally gzipped); ``ServiceModel`` resolves
shapes, wire names and the per-operation closures of input and output shapes.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

from codegen.naming import identifier, input_wire_name, output_element_name, snake_case

SCALAR_TYPES = {"string", "integer", "long", "boolean", "float", "double", "timestamp", "blob"}
# Traits of the XML/query protocols that the ec2 protocol never uses; refuse rather than ignore them.
UNSUPPORTED_MEMBER_TRAITS = {"xmlAttribute", "location", "eventpayload", "streaming"}


def load_json(path: str | Path) -> dict:
    """Read a JSON model file, gzipped or not."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)


@dataclass
class Member:
    """A member of a structure, or the member/key/value of a list or map."""

    name: str
    shape: Shape
    wire: str          # form-field name on input
    element: str       # XML element name on output
    location_name: str | None = None
    member_flattened: bool = False
    required: bool = False
    xml_namespace: dict | None = None
    timestamp_format: str | None = None
    idempotency_token: bool = False

    @property
    def open_tag(self) -> str:
        """The output start tag, with a namespace declaration where the model gives one."""
        return f"<{self.element}{xmlns_attribute(self.xml_namespace)}>"

    @property
    def close_tag(self) -> str:
        return f"</{self.element}>"

    @property
    def flattened(self) -> bool:
        """Flattened lists and maps repeat their element; the trait may sit on the member or the shape."""
        return self.member_flattened or self.shape.flattened

    @property
    def ts_format(self) -> str:
        return (self.timestamp_format or self.shape.timestamp_format or "iso8601").lower()


@dataclass
class Shape:
    """A resolved shape; ``id`` is its Python identifier fragment."""

    name: str
    type: str
    raw: dict
    members: list[Member] = field(default_factory=list)   # structure
    member: Member | None = None                          # list
    key: Member | None = None                             # map
    value: Member | None = None                           # map

    @property
    def id(self) -> str:
        return identifier(self.name)

    @property
    def enum(self) -> list[str] | None:
        return self.raw.get("enum")

    @property
    def min(self) -> int | float | None:
        return self.raw.get("min")

    @property
    def max(self) -> int | float | None:
        return self.raw.get("max")

    @property
    def flattened(self) -> bool:
        return bool(self.raw.get("flattened"))

    @property
    def timestamp_format(self) -> str | None:
        return self.raw.get("timestampFormat")

    @property
    def is_scalar(self) -> bool:
        return self.type in SCALAR_TYPES

    @property
    def has_input_checks(self) -> bool:
        """Whether parsing this scalar needs more than the plain type conversion."""
        return bool(self.enum) or self.min is not None or self.max is not None

    @property
    def required_members(self) -> list[Member]:
        return [m for m in self.members if m.required]

    @property
    def documentation(self) -> str:
        return self.raw.get("documentation", "")


def xmlns_attribute(namespace: dict | None) -> str:
    """`` xmlns="uri"`` or `` xmlns:prefix="uri"`` for a member's ``xmlNamespace`` trait."""
    if not namespace:
        return ""
    if isinstance(namespace, str):
        return f' xmlns="{namespace}"'
    prefix = namespace.get("prefix")
    attr = f"xmlns:{prefix}" if prefix else "xmlns"
    return f' {attr}="{namespace["uri"]}"'


@dataclass
class Operation:
    """One operation of the model with everything its module needs."""

    name: str
    module: str
    input: Shape | None
    output: Shape | None
    documentation: str

    @property
    def member_names(self) -> list[str]:
        return [m.name for m in self.input.members] if self.input else []


class ServiceModel:
    """A botocore service model resolved for code generation."""

    def __init__(self, raw: dict) -> None:
        protocol = raw.get("metadata", {}).get("protocol")
        if protocol != "ec2":
            raise ValueError(f"codegen handles protocol 'ec2' models only, not {protocol!r}")
        self.raw = raw
        self.metadata: dict = raw["metadata"]
        self._raw_shapes: dict = raw["shapes"]
        self.shapes: dict[str, Shape] = {}
        for name in sorted(self._raw_shapes):
            self._shape(name)
        self.operations: list[Operation] = self._operations()

    @property
    def api_version(self) -> str:
        return self.metadata["apiVersion"]

    @property
    def xml_namespace(self) -> str:
        """The response namespace, with the trailing slash AWS sends (the model omits it)."""
        ns = self.metadata.get("xmlNamespace") or f"http://ec2.amazonaws.com/doc/{self.api_version}"
        return ns if ns.endswith("/") else ns + "/"

    def _shape(self, name: str) -> Shape:
        shape = self.shapes.get(name)
        if shape is not None:
            return shape
        raw = self._raw_shapes[name]
        shape = Shape(name=name, type=raw["type"], raw=raw)
        self.shapes[name] = shape   # registered before its members: shapes may be recursive
        if shape.type == "structure":
            required = set(raw.get("required", ()))
            shape.members = [self._member(mname, mraw, mname in required) for mname, mraw in raw["members"].items()]
        elif shape.type == "list":
            shape.member = self._member("member", raw["member"], False)
            # EC2 names list items <item>; the model says so on all but a handful of lists.
            shape.member.element = shape.member.location_name or "item"
        elif shape.type == "map":
            shape.key = self._member("key", raw["key"], False)
            shape.value = self._member("value", raw["value"], False)
        elif shape.type not in SCALAR_TYPES:
            raise ValueError(f"shape {name}: unsupported type {shape.type!r}")
        return shape

    def _member(self, name: str, raw: dict, required: bool) -> Member:
        unsupported = UNSUPPORTED_MEMBER_TRAITS & raw.keys()
        if unsupported:
            raise ValueError(f"member {name}: unsupported traits {sorted(unsupported)}")
        target = self._shape(raw["shape"])
        return Member(
            name=name,
            shape=target,
            wire=input_wire_name(name, raw),
            element=output_element_name(name, raw),
            location_name=raw.get("locationName"),
            member_flattened=bool(raw.get("flattened")),
            required=required,
            xml_namespace=raw.get("xmlNamespace"),
            timestamp_format=raw.get("timestampFormat"),
            idempotency_token=bool(raw.get("idempotencyToken")),
        )

    def _operations(self) -> list[Operation]:
        ops = []
        modules: set[str] = set()
        for name in sorted(self.raw["operations"]):
            raw = self.raw["operations"][name]
            module = "api_op_" + snake_case(name)
            if module in modules:
                raise ValueError(f"two operations map to module {module}")
            modules.add(module)
            ops.append(Operation(
                name=name,
                module=module,
                input=self.shapes[raw["input"]["shape"]] if "input" in raw else None,
                output=self.shapes[raw["output"]["shape"]] if "output" in raw else None,
                documentation=raw.get("documentation", ""),
            ))
        return ops


def closure(root: Shape | None) -> list[Shape]:
    """Every shape reachable from ``root`` (itself included), in a stable order."""
    seen: dict[str, Shape] = {}
    stack = [root] if root is not None else []
    while stack:
        shape = stack.pop()
        if shape.name in seen:
            continue
        seen[shape.name] = shape
        children = [m.shape for m in shape.members]
        for m in (shape.member, shape.key, shape.value):
            if m is not None:
                children.append(m.shape)
        stack.extend(reversed(children))
    return sorted(seen.values(), key=lambda s: s.name)
