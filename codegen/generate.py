"""Render a resolved model into a Python package through the jinja2 templates."""

from __future__ import annotations

import hashlib
import keyword
import shutil
from pathlib import Path

import jinja2

from codegen.docs import filter_names
from codegen.model import Member, ServiceModel, Shape, closure, load_json

_SCALAR_PARSERS = {
    "string": "_c.string", "integer": "_c.integer", "long": "_c.long", "float": "_c.float_",
    "double": "_c.float_", "boolean": "_c.boolean", "blob": "_c.blob",
}
_PY_TYPES = {
    "string": "str", "integer": "int", "long": "int", "float": "float", "double": "float",
    "boolean": "bool", "blob": "bytes", "timestamp": "datetime",
}


def _pyrepr(value: object) -> str:
    return repr(value)


def _scalar_parser(shape: Shape, ts_format: str | None = None) -> str:
    if shape.type == "timestamp":
        return f"_c.timestamp_{(ts_format or shape.timestamp_format or 'iso8601').lower()}"
    return _SCALAR_PARSERS[shape.type]


def _in_parser(member: Member) -> str:
    """The expression that parses one member's field: a generated function or a codec one."""
    shape = member.shape
    if not shape.is_scalar or shape.has_input_checks:
        return f"_in_{shape.id}"
    return _scalar_parser(shape, member.timestamp_format)


def _enum_literal(values: list[str], type_name: str) -> str:
    if type_name in ("integer", "long"):
        return repr(tuple(int(v) for v in values))
    return repr(tuple(values))


def _pytype(shape: Shape) -> str:
    if shape.type == "structure":
        return shape.id
    if shape.type == "list":
        return f"list[{_pytype(shape.member.shape)}]"
    if shape.type == "map":
        return f"dict[{_pytype(shape.key.shape)}, {_pytype(shape.value.shape)}]"
    if shape.type == "string" and shape.enum:
        return "Literal[" + ", ".join(repr(v) for v in shape.enum) + "]"
    return _PY_TYPES[shape.type]


def _result_ref(shape: Shape) -> object:
    """What a result value of ``shape`` holds, for the strict result check (``codec.check_result``):
    None for a scalar, the id of a structure, ``("list", ref)`` or ``("map", ref)`` for its items."""
    if shape.type == "structure":
        return shape.id
    if shape.type == "list":
        return ("list", _result_ref(shape.member.shape))
    if shape.type == "map":
        return ("map", _result_ref(shape.value.shape))
    return None


def _list_item(shape: Shape) -> Member:
    """The member written for each item of a wrapped list: named by its locationName, else ``member``."""
    return shape.member


def _flat_item(member: Member) -> Member:
    """The element repeated for a flattened list member: the member's own name (the list member's is unused)."""
    item = member.shape.member
    return Member(name=member.name, shape=item.shape, wire=member.wire, element=member.element,
                  xml_namespace=item.xml_namespace or member.xml_namespace,
                  timestamp_format=item.timestamp_format)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("codegen", "templates"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters.update(pyrepr=_pyrepr, in_parser=_in_parser, scalar_parser=_scalar_parser,
                       enum_literal=_enum_literal, pytype=_pytype, result_ref=_result_ref)
    env.globals.update(list_item=_list_item, flat_item=_flat_item)
    return env


def _tidy(source: str) -> str:
    """Normalise blank lines left by template control flow: none inside a block, at most two elsewhere."""
    lines = [line.rstrip() for line in source.split("\n")]
    kept: list[str] = []
    blanks = 0
    for i, line in enumerate(lines):
        if line:
            kept.append(line)
            blanks = 0
            continue
        following = next((n for n in lines[i + 1:] if n), "")
        if following.startswith(" ") or blanks == 2 or not kept:
            continue
        kept.append(line)
        blanks += 1
    return "\n".join(kept).rstrip("\n") + "\n"


def _paginators(model: ServiceModel, raw: dict) -> dict:
    out = {}
    inputs = {op.name: op.input for op in model.operations}
    for name, p in sorted(raw.get("pagination", {}).items()):
        entry = {
            "input_token": p["input_token"],
            "output_token": p["output_token"],
            "limit_key": p.get("limit_key"),
            "result_key": p["result_key"] if isinstance(p["result_key"], list) else [p["result_key"]],
        }
        shape = inputs.get(name)
        limit = next((m for m in shape.members if m.name == entry["limit_key"]), None) if shape else None
        entry["limit_min"] = limit.shape.min if limit else None
        entry["limit_max"] = limit.shape.max if limit else None
        out[name] = entry
    return out


def _waiters(raw: dict) -> dict:
    out: dict[str, dict] = {}
    for wname, w in sorted(raw.get("waiters", {}).items()):
        paths = sorted({a.get("argument", "") for a in w.get("acceptors", []) if a.get("argument")})
        out.setdefault(w["operation"], {})[wname] = {"delay": w.get("delay"), "max_attempts": w.get("maxAttempts"),
                                                     "paths": paths}
    return out


def generate(model_path: str | Path, out_dir: str | Path, package: str | None = None) -> list[Path]:
    """Generate the package ``out_dir`` (its last component is the package name) from a model file.

    Sibling ``paginators-1.json`` and ``waiters-2.json`` are used when present. Returns the files
    written. Output depends only on the model files: same model, same bytes.
    """
    model_path = Path(model_path)
    out_dir = Path(out_dir)
    raw = load_json(model_path)
    corrections_path = model_path.parent / "corrections.json"
    if corrections_path.exists():
        apply_corrections(raw, load_json(corrections_path))
    model = ServiceModel(raw)
    siblings = {n: model_path.parent / n for n in ("paginators-1.json", "waiters-2.json")}
    paginators_raw = load_json(siblings["paginators-1.json"]) if siblings["paginators-1.json"].exists() else {}
    waiters_raw = load_json(siblings["waiters-2.json"]) if siblings["waiters-2.json"].exists() else {}

    package = package or _package_name(out_dir)
    env = _environment()
    common = {
        "service_id": model.metadata.get("serviceId", model.metadata.get("endpointPrefix", "ec2")),
        "api_version": model.api_version,
        "xml_namespace": model.xml_namespace,
        "package": package,
    }
    idempotency = {op.name: m.name for op in model.operations if op.input
                   for m in op.input.members if m.idempotency_token}
    filters = {}
    for op in model.operations:
        # A few operations (DescribeNatGateways, DescribeHosts, ...) name the member ``Filter``.
        member = next((m for m in op.input.members if m.name in ("Filters", "Filter")), None) if op.input else None
        if member is not None:
            filters[op.name] = filter_names(member.shape.documentation + " " + member_doc(raw, op, member.name))

    files: dict[str, str] = {}
    op_template = env.get_template("operation.py.jinja")
    for op in model.operations:
        files[f"{op.module}.py"] = op_template.render(
            op=op,
            input_shapes=[s for s in closure(op.input) if not s.is_scalar or s.has_input_checks],
            output_shapes=[s for s in closure(op.output) if not s.is_scalar],
            response_open=(f'<?xml version="1.0" encoding="UTF-8"?>\n<{op.name}Response '
                           f'xmlns="{model.xml_namespace}"><requestId>'),
            response_close=f"</{op.name}Response>",
            **common,
        )
    files["registry.py"] = env.get_template("registry.py.jinja").render(
        operations=model.operations, idempotency=idempotency,
        model_sha256=hashlib.sha256(model_path.read_bytes()).hexdigest(), **common)
    files["__init__.py"] = env.get_template("package_init.py.jinja").render(**common)
    files["metadata.py"] = env.get_template("metadata.py.jinja").render(
        idempotency=idempotency, paginators=_paginators(model, paginators_raw), filters=filters,
        input_members={op.name: op.member_names for op in model.operations},
        waiters=_waiters(waiters_raw), **common)
    shapes = sorted(model.shapes.values(), key=lambda s: s.name)
    for s in shapes:
        if s.type == "structure" and any(keyword.iskeyword(m.name) or not m.name.isidentifier() for m in s.members):
            raise ValueError(f"shape {s.name}: member names that are not Python identifiers")
    files["types.py"] = env.get_template("types.py.jinja").render(shapes=shapes, **common)
    files["enums.py"] = env.get_template("enums.py.jinja").render(shapes=shapes, **common)

    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    written = []
    for name in sorted(files):
        path = out_dir / name
        path.write_text(_tidy(files[name]), encoding="utf-8")
        written.append(path)
    return written


_CORRECTION_KEYS = {"shape", "add_enum", "reason", "source"}


def apply_corrections(raw: dict, corrections: dict) -> None:
    """Widen the raw model where it is known to be narrower than EC2 (``corrections.json``).

    A correction names a shape that must exist and only adds enum values that the model lacks, so
    that a model which has caught up (or renamed the shape) fails the generation loudly instead of
    keeping a stale correction.
    """
    for c in corrections.get("corrections", ()):
        unknown = set(c) - _CORRECTION_KEYS
        if unknown or not c.get("reason") or not c.get("source"):
            raise ValueError(f"correction {c.get('shape')!r}: needs shape, reason, source; unknown {sorted(unknown)}")
        shape = raw["shapes"].get(c["shape"])
        if shape is None:
            raise ValueError(f"correction: the model has no shape {c['shape']!r}")
        enum = shape.get("enum")
        if "add_enum" in c:
            if enum is None:
                raise ValueError(f"correction: shape {c['shape']!r} has no enum to widen")
            already = [v for v in c["add_enum"] if v in enum]
            if already:
                raise ValueError(f"correction: shape {c['shape']!r} already has {already}; drop them from "
                                 "corrections.json")
            shape["enum"] = [*enum, *c["add_enum"]]


def member_doc(raw: dict, op, member_name: str) -> str:
    """The documentation string of an input member, straight from the raw model."""
    shape = raw["shapes"][raw["operations"][op.name]["input"]["shape"]]
    return shape["members"].get(member_name, {}).get("documentation", "")


def _package_name(out_dir: Path) -> str:
    """The dotted package name: ``generated/ec2`` -> ``generated.ec2`` when ``generated`` is a package."""
    parts = [out_dir.name]
    parent = out_dir.resolve().parent
    while (parent / "__init__.py").exists():
        parts.insert(0, parent.name)
        parent = parent.parent
    return ".".join(parts)
