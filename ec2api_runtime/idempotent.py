"""``ClientToken`` idempotency for every operation whose model has an idempotency-token member.

A retry with the same token and the same parameters gets the first result; the same token with other
parameters gets ``IdempotentParameterMismatch``. Records are per project and per operation.
"""

from __future__ import annotations

import time
from typing import Any

from ec2api_runtime.db import idempotency
from ec2api_runtime.errors import EC2Error

# A retry that arrives while the first request with its token is still running waits for it (SDKs
# retry on timeouts and 5xx, often while the first attempt is still at work) and answers with its
# result, rather than with an error no SDK retries. The wait is bounded, and short: EC2 calls start
# work and return within seconds, and a waiting request holds one of the worker's handler threads.
WAIT_SECONDS = 10.0
_POLL_FIRST, _POLL_MAX = 0.05, 0.5


def run(ctx: Any, op: Any, params: dict, fn: Any, *, wait: float = WAIT_SECONDS) -> dict | None:
    """Run ``fn(ctx, params)`` at most once per (project, operation, client token).

    A concurrent retry waits up to ``wait`` seconds (10 by default) for the first run and returns its result; when
    the first run failed (its claim is abandoned), the retry runs anew.
    """
    token = params[op.idempotency_token]
    digest = idempotency.digest(params)
    deadline = time.monotonic() + wait
    delay = _POLL_FIRST
    while True:
        with ctx.session() as s:
            record = idempotency.begin(s, ctx.project_id, op.name, token, digest)
        if record is None:
            break   # ours to run: the first use of the token, or the first run failed
        if record.result is not None:
            return record.result
        if time.monotonic() + delay > deadline:
            raise EC2Error("IncorrectState",
                           f"A request with client token {token} is still in progress.")
        time.sleep(delay)
        delay = min(delay * 2, _POLL_MAX)
    try:
        result = fn(ctx, params)
    except BaseException:
        with ctx.session() as s:
            idempotency.abandon(s, ctx.project_id, op.name, token)
        raise
    with ctx.session() as s:
        idempotency.complete(s, ctx.project_id, op.name, token, result or {})
    return result
