"""The handler registry: handlers register themselves against operation names.

The runtime never imports a handler by name; it imports the handlers package once (``load_handlers``)
and every module in it registers its functions with ``@handler("OperationName")``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from generated.ec2 import OPERATIONS

HandlerFn = Callable[[Any, dict], dict | None]


@dataclass(frozen=True)
class Handler:
    """A registered handler and what the runtime needs to know about it."""

    operation: str
    fn: HandlerFn
    area: str                     # the handler module's name: "instances", "key_pairs", ...
    not_found: str | None = None  # error code for an OpenStack 404 the handler did not translate
    limit_exceeded: str = "ResourceLimitExceeded"


HANDLERS: dict[str, Handler] = {}


def handler(operation: str, *, not_found: str | None = None,
            limit_exceeded: str = "ResourceLimitExceeded") -> Callable[[HandlerFn], HandlerFn]:
    """Register ``fn(ctx, params) -> result`` as the implementation of ``operation``."""
    if operation not in OPERATIONS:
        raise ValueError(f"{operation} is not an operation of the EC2 model")

    def register(fn: HandlerFn) -> HandlerFn:
        if operation in HANDLERS:
            raise ValueError(f"{operation} has two handlers: {HANDLERS[operation].fn} and {fn}")
        area = fn.__module__.rpartition(".")[2]
        HANDLERS[operation] = Handler(operation, fn, area, not_found, limit_exceeded)
        return fn

    return register


def load_handlers(package: str = "handlers") -> dict[str, Handler]:
    """Import every module of the handlers package so that each registers its operations."""
    pkg = importlib.import_module(package)
    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package}.{info.name}")
    return HANDLERS
