"""``ClientToken`` idempotency for every operation whose model has an idempotency-token member.

A retry with the same token and the same parameters gets the first result; the same token with other
parameters gets ``IdempotentParameterMismatch``. Records are per project and per operation.
"""

from __future__ import annotations

from typing import Any

from ec2api_runtime.db import idempotency
from ec2api_runtime.errors import EC2Error


def run(ctx: Any, op: Any, params: dict, fn: Any) -> dict | None:
    """Run ``fn(ctx, params)`` at most once per (project, operation, client token)."""
    token = params[op.idempotency_token]
    digest = idempotency.digest(params)
    with ctx.session() as s:
        record = idempotency.begin(s, ctx.project_id, op.name, token, digest)
    if record is not None:
        if record.result is None:
            raise EC2Error("IncorrectState",
                           f"A request with client token {token} is still in progress.")
        return record.result
    try:
        result = fn(ctx, params)
    except BaseException:
        with ctx.session() as s:
            idempotency.abandon(s, ctx.project_id, op.name, token)
        raise
    with ctx.session() as s:
        idempotency.complete(s, ctx.project_id, op.name, token, result or {})
    return result
