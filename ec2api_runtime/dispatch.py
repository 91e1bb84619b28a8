"""The handler registry: handlers declare themselves against operation names.

The runtime never imports a handler by name. ``@handler("OperationName", honours=(...))`` marks a
function; ``load_handlers`` imports every public module of the handlers package (an area is a
module, ``handlers/key_pairs.py``, or a package, ``handlers/instances/``; ``_``-prefixed modules are
helpers and skipped) and returns the registry of what they declare.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from ec2api_runtime import honours
from ec2api_runtime.honours import Spec
from generated.ec2 import OPERATIONS
from generated.ec2.metadata import IDEMPOTENCY_TOKENS, INPUT_MEMBERS

# What the runtime calls: ``fn(ctx, params)``. Handlers type their parameters and result with the
# generated TypedDicts (``generated/ec2/types.py``); at run time those are plain dicts.
HandlerFn = Callable[..., Any]
F = TypeVar("F", bound=HandlerFn)


@dataclass(frozen=True)
class Handler:
    """A registered handler and what the runtime needs to know about it."""

    operation: str
    fn: HandlerFn
    area: str                     # the area's module or package: "instances", "key_pairs", ...
    not_found: str | None = None  # error code for an OpenStack 404 the handler did not translate
    limit_exceeded: str = "ResourceLimitExceeded"
    honours: frozenset[str] = frozenset()   # top-level input members honoured whatever their value
    partly: Mapping[str, Spec] = field(default_factory=dict)   # members honoured for some values only

    @cached_property
    def accepted(self) -> frozenset[str]:
        """Every member a caller may send: the declared ones and those the runtime itself handles."""
        return self.honours | set(self.partly) | runtime_members(self.operation)

    def refuse_unhonoured(self, params: Mapping[str, Any]) -> None:
        """Raise ``InvalidParameterValue`` naming what the caller sent that this handler does not honour."""
        honours.refuse_unhonoured(params, self.accepted, INPUT_MEMBERS[self.operation])
        honours.refuse_values(params, self.partly)


# The registry of the ``handlers`` package, which the service dispatches through: filled by
# ``load_handlers()`` (tests replace entries in it).
HANDLERS: dict[str, Handler] = {}
_MARK = "__ec2api_handler__"   # the attribute ``@handler`` sets on the function it declares


def runtime_members(operation: str) -> frozenset[str]:
    """Members the runtime handles for every handler: ``DryRun`` and the idempotency token."""
    return honours.runtime_members(INPUT_MEMBERS.get(operation, ()), IDEMPOTENCY_TOKENS.get(operation))


def handler(operation: str, *, honours: Iterable[str], partly: Mapping[str, Spec] | None = None,
            not_found: str | None = None,
            limit_exceeded: str = "ResourceLimitExceeded") -> Callable[[F], F]:
    """Declare ``fn(ctx, params) -> result`` the implementation of ``operation`` (``load_handlers``
    collects it).

    ``honours`` names the top-level input members the handler honours, ``partly`` those it honours
    for some sub-members or values only (``ec2api_runtime.honours``); the runtime refuses every other
    member a caller sends. Both are required reading for a reviewer: the declaration is the promise.
    """
    if operation not in OPERATIONS:
        raise ValueError(f"{operation} is not an operation of the EC2 model")
    honoured, partial = frozenset(honours), dict(partly or {})
    members = set(INPUT_MEMBERS[operation])
    unknown = sorted((honoured | set(partial)) - members)
    if unknown:
        raise ValueError(f"{operation} declares members its input does not have: {', '.join(unknown)}")
    if honoured & set(partial):
        raise ValueError(f"{operation} declares {sorted(honoured & set(partial))} both whole and partly")
    if "DryRun" in honoured | set(partial):
        raise ValueError(f"{operation}: DryRun is the runtime's, never a handler's")

    def register(fn: F) -> F:
        setattr(fn, _MARK, Handler(operation, fn, area_of_module(fn.__module__), not_found, limit_exceeded,
                                   honoured, partial))
        return fn

    return register


def area_of_module(module: str) -> str:
    """The area of a handler module: the first name under the handlers package
    (``handlers.instances.launch`` and ``handlers.key_pairs`` -> ``instances``, ``key_pairs``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def load_handlers(package: str = "handlers") -> dict[str, Handler]:
    """Import every public module of ``package`` (packages included) and return ``{operation: Handler}``
    for the functions they declare. Two handlers for one operation are an error."""
    registry: dict[str, Handler] = {}
    pkg = importlib.import_module(package)
    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue   # helper modules declare nothing; walk_packages still enters public packages
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            h = getattr(value, _MARK, None)
            if not isinstance(h, Handler) or getattr(value, "__module__", None) != module.__name__:
                continue   # not a handler, or one imported from elsewhere: counted where it is defined
            if h.operation in registry:
                raise ValueError(f"{h.operation} has two handlers: {registry[h.operation].fn} and {h.fn}")
            registry[h.operation] = h
    if package == "handlers":
        HANDLERS.update(registry)
    return registry
