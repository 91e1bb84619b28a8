"""How handler modules may import: generated code by its public names only, and no public handler
module from another (shared code lives in ``_``-prefixed helper modules)."""

from __future__ import annotations

import ast
from pathlib import Path

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"


def _imports(path: Path) -> list[tuple[str, str]]:
    """``(module, name)`` for every ``from module import name`` and ``import module`` in a file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out += [(node.module, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, "") for a in node.names]
    return out


def _public_module(dotted: str) -> bool:
    """A handler module that registers operations: no part of its name under handlers/ starts with _."""
    parts = dotted.split(".")
    return parts[0] == "handlers" and len(parts) > 1 and not any(p.startswith("_") for p in parts[1:])


def _files() -> list[Path]:
    return sorted(HANDLERS.rglob("*.py"))


def test_no_handler_imports_a_private_generated_name():
    bad = [(str(p.relative_to(HANDLERS)), m, n) for p in _files() for m, n in _imports(p)
           if m.startswith("generated") and (n.startswith("_") or any(x.startswith("_") for x in m.split(".")))]
    assert not bad, f"private names of generated code imported: {bad}"


def _module_of(module: str, name: str) -> str:
    """The module an import reaches: ``from handlers import images`` -> ``handlers.images``."""
    candidate = HANDLERS.parent / f"{module}.{name}".replace(".", "/")
    if name and (candidate.with_suffix(".py").exists() or (candidate / "__init__.py").exists()):
        return f"{module}.{name}"
    return module


def test_no_public_handler_module_imports_another():
    bad = []
    for path in _files():
        rel = path.relative_to(HANDLERS.parent).with_suffix("")
        me = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        area = me.split(".")[:2]   # the modules of one area's package may import each other
        for module, name in _imports(path):
            target = _module_of(module, name)
            if _public_module(target) and target.split(".")[:2] != area:
                bad.append((me, target))
    assert not bad, f"public handler modules importing other public handler modules: {bad}"


def test_every_handler_takes_the_request_typeddict_and_returns_the_result_one():
    """``fn(ctx: RequestContext, params: <input shape>) -> <output shape> | None``, names as the
    generated registry has them (mypy, ``make typecheck``, then checks the bodies against them)."""
    from ec2api_runtime.dispatch import load_handlers
    from generated.ec2 import OPERATIONS

    for name, h in load_handlers().items():
        op = OPERATIONS[name]
        hints = h.fn.__annotations__   # strings: the handler modules use postponed annotations
        assert hints.get("ctx") == "RequestContext", name
        assert list(hints)[1:2] == ["params"] and hints["params"] == op.input_shape, (name, hints)
        assert hints["return"] == (op.output_shape or "None"), (name, hints)
