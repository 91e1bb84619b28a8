"""What each handler reads, refuses, fills and filters, found by reading ``handlers/`` source (no imports).

These facts come from static analysis of the handlers' code (``ast``), following what the handler
function reaches; where a handler declares the members it honours (``declared_facts``), its
declaration replaces the reads and refusals found (``merge``):

* **reads**: ``params["X"]``, ``params.get("X")`` and ``"X" in params`` on the handler's params dict,
  also where it is passed on to another function (``_network_spec(ctx, params)``, ``pagination.page``)
  and through a local helper called with the key (``value_of("InstanceType", ...)``).
  ``required_reads`` are the subscript reads: the handler assumes the member is present.
* **refused**: members whose mere presence makes the handler raise (``if params.get("X"): raise ...``,
  ``X or Y`` included); they count as refused, not honoured.
* **keys**: every string the reached code uses as a dict key (literal keys, subscripts, ``.get``,
  ``.setdefault``, ``.update(k=...)``). A nested input member or an output member counts as read or
  filled when every name on its path is among them: an over-approximation, since a key read for
  one dict may be another dict's.
* **filters**: the extractor dicts given to ``apply_filters`` for the operation (literal, or a module
  constant with its ``.update`` calls), the names given to ``check_filters``, and the tag filters
  when ``tags_of`` is passed.
* **pages**: whether the handler reaches ``pagination.page`` / ``paginate``.

Limits: keys built at run time (``f"{x}Id"``), members read through ``**params`` or a dict copied
into a differently named variable and then read, are not seen; functions reached only through
``getattr`` are not followed. In ``ec2api_runtime`` only functions the params dict is passed to, and
those a handler calls directly, are read. ``tests/unit/test_handler_facts.py`` pins known reads.

The declarations (``@handler(..., honours=..., partly=...)``, issue 10) plug in through ``merge``:
a declared fact replaces the static one for that operation and field.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PARAMS_PACKAGES = ("handlers", "ec2api_runtime")
_KEY_METHODS = {"get", "pop", "setdefault"}
_FILTER_ENGINE = "ec2api_runtime.filters"
_PAGING = {("ec2api_runtime.pagination", "page"), ("ec2api_runtime.pagination", "paginate")}
_DESCRIBE_RUN = ("ec2api_runtime.describe", "run")
TAG_FILTERS = ("tag:<key>", "tag-key", "tag-value")


@dataclass(frozen=True)
class OperationFacts:
    """What one handler does with its operation's members."""

    operation: str
    location: str                                  # "handlers/instances/launch.py::run_instances"
    reads: frozenset[str] = frozenset()            # top-level input members read
    required_reads: frozenset[str] = frozenset()   # ... read by subscript (assumed present)
    refused: frozenset[str] = frozenset()          # top-level input members refused when present
    keys: frozenset[str] = frozenset()             # dict keys the handler's code uses (nested / output)
    literals: frozenset[str] = frozenset()         # string constants of the handler modules' reached code
    filters: frozenset[str] = frozenset()          # filter names implemented
    pages: bool = False
    source: str = "static analysis"
    # Declared (``@handler(..., honours=, partly=)``): every input member not in ``reads`` is refused
    # by the runtime, including members a newer model adds.
    declared: bool = False
    partly: frozenset[str] = frozenset()           # ... of ``reads``, honoured for some values only

    @property
    def honoured(self) -> frozenset[str]:
        return self.reads - self.refused

    def reads_path(self, path: str) -> bool:
        """Whether the handler reads the input member at ``path`` (``A[].B.C``): ``A`` is a top-level
        read and every further name a key its code uses."""
        names = member_names(path)
        return bool(names) and names[0] in self.reads and all(n in self.keys for n in names[1:])

    def fills_path(self, path: str) -> bool:
        """Whether the handler can fill the output member at ``path``: every name on it is a key."""
        names = member_names(path)
        return bool(names) and all(n in self.keys for n in names)


def member_names(path: str) -> list[str]:
    """The member names along a path: ``A[].B{value}.C`` -> ``[A, B, C]``."""
    cleaned = path.replace("[]", "").replace("{key}", "").replace("{value}", "")
    return [n for n in cleaned.split(".") if n]


# ---------------------------------------------------------------------------------------------
# Reading modules

@dataclass
class _Module:
    name: str
    path: Path
    tree: ast.Module
    defs: dict[str, ast.AST] = field(default_factory=dict)          # top-level functions and classes
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)   # alias -> (module, symbol)
    constants: dict[str, list[ast.expr]] = field(default_factory=dict)         # NAME = ... and NAME.update(...)


class Project:
    """The source tree under ``root``, parsed lazily module by module."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._modules: dict[str, _Module | None] = {}

    def module(self, dotted: str) -> _Module | None:
        if dotted in self._modules:
            return self._modules[dotted]
        found = None
        if dotted.split(".")[0] in PARAMS_PACKAGES:
            base = self.root.joinpath(*dotted.split("."))
            for path in (base.with_suffix(".py"), base / "__init__.py"):
                if path.exists():
                    found = _parse(dotted, path)
                    break
        self._modules[dotted] = found   # before the imports are looked at: modules import each other
        if found is not None:
            self._mark_module_imports(found)
        return found

    def _mark_module_imports(self, mod: _Module) -> None:
        """``from handlers import images`` imports a module, not a symbol: record it as one."""
        for alias, (base, symbol) in list(mod.imports.items()):
            if symbol is None:
                continue
            package = self.module(base)
            if symbol not in (package.defs if package else {}) and self.module(f"{base}.{symbol}") is not None:
                mod.imports[alias] = (f"{base}.{symbol}", None)

    def resolve(self, mod: _Module, node: ast.expr) -> tuple[_Module, ast.AST] | None:
        """The function or class definition a name or ``module.attr`` refers to, if it is ours."""
        if isinstance(node, ast.Name):
            if node.id in mod.defs:
                return mod, mod.defs[node.id]
            target = mod.imports.get(node.id)
            if target and target[1]:
                return self._symbol(target[0], target[1])
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            target = mod.imports.get(node.value.id)
            if target:
                dotted = target[0] if target[1] is None else f"{target[0]}.{target[1]}"
                return self._symbol(dotted, node.attr)
        return None

    def _symbol(self, dotted: str, name: str, depth: int = 0) -> tuple[_Module, ast.AST] | None:
        target = self.module(dotted)
        if target is None or depth > 3:
            return None
        if name in target.defs:
            return target, target.defs[name]
        again = target.imports.get(name)   # re-exported: follow it
        return self._symbol(again[0], again[1], depth + 1) if again and again[1] else None


def _parse(dotted: str, path: Path) -> _Module:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    mod = _Module(dotted, path, tree)
    package = dotted if path.name == "__init__.py" else dotted.rpartition(".")[0]
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            mod.defs[node.name] = node
        elif isinstance(node, ast.Import):
            for a in node.names:
                mod.imports[a.asname or a.name.split(".")[0]] = (a.name if a.asname else a.name.split(".")[0], None)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for a in node.names:
                # "from handlers import images" names a module; "from x import f" a symbol.
                mod.imports[a.asname or a.name] = (base, a.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and node.value is not None:
                    mod.constants.setdefault(t.id, []).append(node.value)
        elif (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
              and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "update"
              and isinstance(node.value.func.value, ast.Name) and node.value.args):
            mod.constants.setdefault(node.value.func.value.id, []).append(node.value.args[0])
    return mod


# ---------------------------------------------------------------------------------------------
# Following one handler

def _str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _param_names(fn: ast.AST) -> list[str]:
    args = fn.args  # type: ignore[attr-defined]
    return [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]


class _Walker:
    """Collects the facts of one handler by walking what it reaches."""

    def __init__(self, project: Project, operation: str) -> None:
        self.project = project
        self.operation = operation
        self.reads: set[str] = set()
        self.required: set[str] = set()
        self.optional: set[str] = set()     # read with .get somewhere
        self.refused: set[str] = set()
        self.keys: set[str] = set()
        self.literals: set[str] = set()
        self.filters: set[str] = set()
        self.pages = False
        self._seen: set[tuple[str, int, frozenset[str]]] = set()

    def visit(self, mod: _Module, fn: ast.AST, params: frozenset[str], runtime_budget: int = 1) -> None:
        key = (mod.name, id(fn), params)
        if key in self._seen:
            return
        self._seen.add(key)
        in_handlers = mod.name.split(".")[0] == "handlers"
        dynamic = self._dynamic_key_helpers(fn, params)
        for node in ast.walk(fn):
            if in_handlers and _str(node) is not None:
                self.literals.add(node.value)  # type: ignore[attr-defined]
            if isinstance(node, ast.Subscript):
                self._subscript(node, params)
            elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.In):
                if isinstance(node.comparators[0], ast.Name) and node.comparators[0].id in params \
                        and _str(node.left):
                    self.reads.add(node.left.value)  # type: ignore[attr-defined]
                    self.optional.add(node.left.value)  # type: ignore[attr-defined]
            elif isinstance(node, ast.Dict):
                self.keys.update(k for k in (_str(k) for k in node.keys) if k)
            elif isinstance(node, ast.If):
                self.refused.update(_refused_keys(node, params))
            elif isinstance(node, ast.Call):
                self._call(mod, node, params, dynamic, runtime_budget, in_handlers)
            elif isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load) and in_handlers:
                if isinstance(node, ast.Name) and node.id in mod.constants:
                    # A module table the code uses (``_STATES[...]``): its strings are values it maps.
                    self.literals.update(v for c in mod.constants[node.id] for n in ast.walk(c)
                                         if (v := _str(n)) is not None)
                # A function passed as a value (a callback, a key=) is reached too.
                target = self.project.resolve(mod, node)
                if target and target[0].name.split(".")[0] == "handlers":
                    self._enter(target, frozenset(), runtime_budget)

    def _subscript(self, node: ast.Subscript, params: frozenset[str]) -> None:
        name = _str(node.slice)
        if name is None:
            return
        if isinstance(node.value, ast.Name) and node.value.id in params:
            self.reads.add(name)
            self.required.add(name)
        else:
            self.keys.add(name)

    def _call(self, mod: _Module, node: ast.Call, params: frozenset[str], dynamic: dict[str, int],
              budget: int, in_handlers: bool) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            first = _str(node.args[0]) if node.args else None
            on_params = isinstance(func.value, ast.Name) and func.value.id in params
            if func.attr in _KEY_METHODS and first:
                (self.reads if on_params else self.keys).add(first)
                if on_params:
                    self.optional.add(first)
            if func.attr == "update":
                self.keys.update(kw.arg for kw in node.keywords if kw.arg)
        if isinstance(func, ast.Name):
            if func.id == "dict":
                self.keys.update(kw.arg for kw in node.keywords if kw.arg)
            if func.id in dynamic and len(node.args) > dynamic[func.id] and _str(node.args[dynamic[func.id]]):
                self.reads.add(node.args[dynamic[func.id]].value)  # type: ignore[attr-defined]
        target = self.project.resolve(mod, func)
        if target is None:
            return
        target_mod, target_def = target
        name = getattr(target_def, "name", "")
        if target_mod.name == _FILTER_ENGINE and name in ("apply_filters", "check_filters"):
            self._filters(mod, node, name)
        if (target_mod.name, name) == _DESCRIBE_RUN and len(node.args) > 2:
            # The pipeline's own code serves every operation; what it does for this one is the spec's.
            self._describe_spec(mod, node.args[2], budget)
            return
        if (target_mod.name, name) in _PAGING:
            self.pages = True
        self.keys.update(_constant_keys(target_def, node))
        passed = self._bind(target_def, node, params)
        if target_mod.name.split(".")[0] == "handlers":
            self._enter(target, passed, budget)
        elif passed or (in_handlers and budget > 0):
            self._enter(target, passed, budget - 1)

    def _enter(self, target: tuple[_Module, ast.AST], passed: frozenset[str], budget: int) -> None:
        mod, node = target
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    self.visit(mod, item, frozenset(), budget)
        else:
            self.visit(mod, node, passed, budget)

    @staticmethod
    def _bind(target: ast.AST, call: ast.Call, params: frozenset[str]) -> frozenset[str]:
        """The callee's parameter names that receive the params dict at this call."""
        if not isinstance(target, ast.FunctionDef):
            return frozenset()
        names = _param_names(target)
        bound = {names[i] for i, a in enumerate(call.args)
                 if i < len(names) and isinstance(a, ast.Name) and a.id in params}
        bound |= {kw.arg for kw in call.keywords
                  if kw.arg in names and isinstance(kw.value, ast.Name) and kw.value.id in params}
        return frozenset(bound)

    @staticmethod
    def _dynamic_key_helpers(fn: ast.AST, params: frozenset[str]) -> dict[str, int]:
        """Nested helpers that read ``params.get(arg)``: ``{helper name: position of arg}``."""
        out = {}
        for inner in ast.walk(fn):
            if inner is fn or not isinstance(inner, ast.FunctionDef):
                continue
            names = _param_names(inner)
            for node in ast.walk(inner):
                arg = None
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr in _KEY_METHODS and isinstance(node.func.value, ast.Name) \
                        and node.func.value.id in params and node.args and isinstance(node.args[0], ast.Name):
                    arg = node.args[0].id
                elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                        and node.value.id in params and isinstance(node.slice, ast.Name):
                    arg = node.slice.id
                if arg in names:
                    out[inner.name] = names.index(arg)
        return out

    def _describe_spec(self, mod: _Module, spec: ast.expr, budget: int) -> None:
        """``describe.run(ctx, params, SPEC)``: the spec (a module constant ``Describe(...)``) names
        the requested-id parameters, the filters, and the functions that fetch and shape items."""
        calls = [c for value in (mod.constants.get(spec.id, []) if isinstance(spec, ast.Name) else [spec])
                 for c in ast.walk(value) if isinstance(c, ast.Call)]
        for call in calls:
            callee = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
            if callee == "Requested" and call.args and _str(call.args[0]):
                self.reads.add(call.args[0].value)  # type: ignore[attr-defined]
                self.optional.add(call.args[0].value)  # type: ignore[attr-defined]
            if callee != "Describe":
                continue
            kw = {k.arg: k.value for k in call.keywords}
            from generated.ec2.metadata import PAGINATORS  # data, not handler code

            if self.operation in PAGINATORS:
                self.pages = True
                self.reads.update(("MaxResults", "NextToken"))
                self.optional.update(("MaxResults", "NextToken"))
                self.keys.update(PAGINATORS[self.operation]["result_key"])
                self.keys.add(PAGINATORS[self.operation]["output_token"])
            if _str(kw.get("result_key")):
                self.keys.add(kw["result_key"].value)  # type: ignore[attr-defined]
            if "filters" in kw:
                self.filters.update(_names_of(mod, kw["filters"]))
                if "Filters" not in self.reads:
                    self.reads.add("Filters")
                    self.optional.add("Filters")
            tags = kw.get("tags")
            if not (isinstance(tags, ast.Constant) and tags.value is False):
                self.filters.update(TAG_FILTERS)
            for role in ("fetch", "extra", "prepare", "sort_key", "group"):
                target = self.project.resolve(mod, kw[role]) if role in kw else None
                if target is not None:
                    names = _param_names(target[1]) if isinstance(target[1], ast.FunctionDef) else []
                    self._enter(target, frozenset({"params"} & set(names)), budget)
                elif role in kw:
                    self.visit(mod, kw[role], frozenset(), budget)   # a lambda: its keys

    def _filters(self, mod: _Module, call: ast.Call, name: str) -> None:
        op = _str(call.args[0]) if call.args else None
        if op is not None and op != self.operation:
            return
        kw = {k.arg: k.value for k in call.keywords}
        if name == "apply_filters":
            extractors = call.args[3] if len(call.args) > 3 else kw.get("extractors")
            self.filters.update(_names_of(mod, extractors))
            tags_of = kw.get("tags_of", call.args[4] if len(call.args) > 4 else None)
            if tags_of is not None and not (isinstance(tags_of, ast.Constant) and tags_of.value is None):
                self.filters.update(TAG_FILTERS)
        else:
            self.filters.update(_names_of(mod, call.args[2] if len(call.args) > 2 else kw.get("implemented")))

    def facts(self, location: str) -> OperationFacts:
        return OperationFacts(
            operation=self.operation, location=location, reads=frozenset(self.reads),
            # A subscript read counts as "assumed present" only when the handler never tests for it.
            required_reads=frozenset(self.required - self.optional), refused=frozenset(self.refused & self.reads),
            keys=frozenset(self.keys), literals=frozenset(self.literals), filters=frozenset(self.filters),
            pages=self.pages)


def _constant_keys(target: ast.AST, call: ast.Call) -> set[str]:
    """Constants a call passes to parameters the callee uses as dict keys (``page(..., "Volumes", ...)``
    builds ``{result_key: chunk}``)."""
    if not isinstance(target, ast.FunctionDef):
        return set()
    names = _param_names(target)
    used: set[str] = set()
    for node in ast.walk(target):
        if isinstance(node, ast.Dict):
            used.update(k.id for k in node.keys if isinstance(k, ast.Name))
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Name):
            used.add(node.slice.id)
    out = {v for i, a in enumerate(call.args) if i < len(names) and names[i] in used and (v := _str(a))}
    out |= {v for kw in call.keywords if kw.arg in used and (v := _str(kw.value))}
    return out


def _names_of(mod: _Module, node: ast.expr | None, depth: int = 0) -> set[str]:
    """String keys of a dict, or items of a list/tuple/set, following module constants and ``*name``."""
    if node is None or depth > 4:
        return set()
    if isinstance(node, ast.Dict):
        out = {k for k in (_str(k) for k in node.keys) if k}
        for k, v in zip(node.keys, node.values, strict=True):
            if k is None:   # {**other}
                out |= _names_of(mod, v, depth + 1)
        return out
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        out = set()
        for e in node.elts:
            if isinstance(e, ast.Starred):
                out |= _names_of(mod, e.value, depth + 1)
            elif _str(e):
                out.add(e.value)  # type: ignore[attr-defined]
        return out
    if isinstance(node, ast.Name):
        return set().union(*(_names_of(mod, v, depth + 1) for v in mod.constants.get(node.id, [])))
    return set()


def _presence(expr: ast.expr, params: frozenset[str]) -> str | None:
    """The member an expression tests the presence of: ``params.get("X")``, ``params["X"]``,
    ``params.get("X") is not None``, ``bool(params.get("X"))``."""
    if isinstance(expr, ast.Compare) and len(expr.ops) == 1 and isinstance(expr.ops[0], ast.IsNot) \
            and isinstance(expr.comparators[0], ast.Constant) and expr.comparators[0].value is None:
        expr = expr.left
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "bool" and expr.args:
        expr = expr.args[0]
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get" \
            and isinstance(expr.func.value, ast.Name) and expr.func.value.id in params and expr.args:
        return _str(expr.args[0])
    if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Name) and expr.value.id in params:
        return _str(expr.slice)
    return None


def _refused_keys(node: ast.If, params: frozenset[str]) -> list[str]:
    """Members an ``if`` refuses: its test is (an ``or`` of) presence tests, its body one ``raise``."""
    if len(node.body) != 1 or not isinstance(node.body[0], ast.Raise):
        return []
    test = node.test
    operands = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or) else [test]
    return [k for k in (_presence(o, params) for o in operands) if k]


# ---------------------------------------------------------------------------------------------
# Entry points

def _handler_operation(fn: ast.FunctionDef, mod: _Module) -> str | None:
    for deco in fn.decorator_list:
        if isinstance(deco, ast.Call) and isinstance(deco.func, ast.Name) and deco.func.id == "handler" \
                and mod.imports.get("handler", ("", None))[0] == "ec2api_runtime.dispatch":
            return _str(deco.args[0]) if deco.args else None
    return None


def _declaration(fn: ast.FunctionDef, mod: _Module) -> dict[str, Iterable[str] | bool] | None:
    """The members an ``@handler(..., honours=..., partly=...)`` declares, as ``merge`` takes them.

    Read from the source like the rest (a literal, or a module constant ``_names_of`` follows).
    """
    for deco in fn.decorator_list:
        if isinstance(deco, ast.Call) and _handler_operation(fn, mod) is not None:
            kw = {k.arg: k.value for k in deco.keywords}
            if "honours" not in kw:
                return None
            partly = _names_of(mod, kw.get("partly"))
            return {"reads": _names_of(mod, kw["honours"]) | partly, "partly": partly,
                    "refused": (), "declared": True}
    return None


def handler_modules(root: str | Path) -> list[tuple[str, Path]]:
    """``(dotted name, path)`` of every public module under ``root/handlers``, packages' included.

    Helper modules (any ``_``-prefixed name below ``handlers``) declare nothing and are skipped, as
    ``dispatch.load_handlers`` skips them; a package's ``__init__.py`` is its own module.
    """
    base = Path(root) / "handlers"
    out = []
    for path in sorted(base.rglob("*.py")):
        parts = path.relative_to(base).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and not any(p.startswith("_") for p in parts):
            out.append((".".join(("handlers", *parts)), path))
    return out


def declared_facts(root: str | Path, project: Project | None = None) -> dict[str, dict[str, Iterable[str] | bool]]:
    """``{operation: declared fields}`` for every ``@handler`` in ``root/handlers`` that declares."""
    project = project or Project(root)
    out = {}
    for dotted, _path in handler_modules(root):
        mod = project.module(dotted)
        if mod is None:
            continue
        for fn in mod.tree.body:
            if isinstance(fn, ast.FunctionDef) and (op := _handler_operation(fn, mod)) is not None:
                declared = _declaration(fn, mod)
                if declared is not None:
                    out[op] = declared
    return out


def static_facts(root: str | Path, project: Project | None = None) -> dict[str, OperationFacts]:
    """``{operation: facts}`` for every ``@handler`` function in ``root/handlers``."""
    project = project or Project(root)
    out: dict[str, OperationFacts] = {}
    for dotted, path in handler_modules(root):
        mod = project.module(dotted)
        assert mod is not None
        for fn in mod.tree.body:
            if not isinstance(fn, ast.FunctionDef):
                continue
            operation = _handler_operation(fn, mod)
            if operation is None:
                continue
            names = _param_names(fn)
            walker = _Walker(project, operation)
            walker.visit(mod, fn, frozenset(names[1:2]))   # (ctx, params)
            rel = path.relative_to(root) if path.is_absolute() else path
            # No line number: the report would go stale with every edit above the handler.
            out[operation] = walker.facts(f"{rel}::{fn.name}")
    return out


def area_of(facts: OperationFacts) -> str:
    """The area an operation's handler lives in: the first name under ``handlers/``
    (``handlers/key_pairs.py::..`` -> ``key_pairs``, ``handlers/instances/launch.py::..`` -> ``instances``)."""
    parts = Path(facts.location.split("::")[0]).parts
    return Path(parts[1]).stem if len(parts) > 1 and parts[0] == "handlers" else Path(parts[-1]).stem


def merge(static: Mapping[str, OperationFacts], declared: Mapping[str, Mapping[str, Iterable[str] | bool]]
          ) -> dict[str, OperationFacts]:
    """Static facts with declared ones laid over them (``{op: {"reads": [...], "refused": [...], ...}}``).

    This is where handler declarations (issue 10) come in: each declared field replaces the one
    static analysis found, and ``source`` says so.
    """
    out = dict(static)
    for op, fields in declared.items():
        base = out.get(op) or OperationFacts(op, "declared")
        changes: dict[str, Any] = {k: (v if isinstance(v, bool) else frozenset(v)) for k, v in fields.items()}
        out[op] = replace(base, source="declared", **changes)   # field names checked by replace() at run time
    return out


def project_facts(root: str | Path) -> dict[str, OperationFacts]:
    """Facts of the handlers under ``root``: static analysis with their declarations laid over it,
    both read from one parse of each module."""
    project = Project(root)
    return merge(static_facts(root, project), declared_facts(root, project))
