"""The handler registry: handlers register themselves against operation names.

The runtime never imports a handler by name; it imports the handlers package once (``load_handlers``)
and every module in it registers its functions with ``@handler("OperationName", honours=(...))``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ec2api_runtime import honours
from ec2api_runtime.honours import Spec
from generated.ec2 import OPERATIONS
from generated.ec2.metadata import IDEMPOTENCY_TOKENS, INPUT_MEMBERS

HandlerFn = Callable[[Any, dict], dict | None]


@dataclass(frozen=True)
class Handler:
    """A registered handler and what the runtime needs to know about it."""

    operation: str
    fn: HandlerFn
    area: str                     # the handler module's name: "instances", "key_pairs", ...
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


HANDLERS: dict[str, Handler] = {}


def runtime_members(operation: str) -> frozenset[str]:
    """Members the runtime handles for every handler: ``DryRun`` and the idempotency token."""
    members = set(INPUT_MEMBERS.get(operation, ())) & {"DryRun", IDEMPOTENCY_TOKENS.get(operation)}
    return frozenset(m for m in members if m)


def handler(operation: str, *, honours: Iterable[str], partly: Mapping[str, Spec] | None = None,
            not_found: str | None = None,
            limit_exceeded: str = "ResourceLimitExceeded") -> Callable[[HandlerFn], HandlerFn]:
    """Register ``fn(ctx, params) -> result`` as the implementation of ``operation``.

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

    def register(fn: HandlerFn) -> HandlerFn:
        if operation in HANDLERS:
            raise ValueError(f"{operation} has two handlers: {HANDLERS[operation].fn} and {fn}")
        area = fn.__module__.rpartition(".")[2]
        HANDLERS[operation] = Handler(operation, fn, area, not_found, limit_exceeded, honoured, partial)
        return fn

    return register


def load_handlers(package: str = "handlers") -> dict[str, Handler]:
    """Import every module of the handlers package so that each registers its operations."""
    pkg = importlib.import_module(package)
    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package}.{info.name}")
    return HANDLERS
