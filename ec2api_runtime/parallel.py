"""Run a request's independent OpenStack listings at the same time.

A Describe that joins several collections (servers from Nova; ports, floating IPs and groups from
Neutron) would otherwise pay their round trips one after another. The calls wait on the network,
not on Python, so a small shared thread pool overlaps them.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

# Shared by every request thread of the worker; sized for a few concurrent Describes.
_MAX_WORKERS = 16
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    # Created on first use, so that a gunicorn worker forked from a parent that never listed
    # anything starts its own threads (threads do not survive fork).
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_MAX_WORKERS, thread_name_prefix="ec2api-fetch")
        return _pool


def gather(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` concurrently and return their results in order.

    The first call runs in the caller's thread; the others run in the pool with a copy of the
    caller's context (request id for the logs). Every call finishes before anything is raised;
    then the first failure, in argument order, is raised as is (so fault mapping sees OpenStack's
    own exception).
    """
    if not calls:
        return []
    futures: list[Future] = [_executor().submit(contextvars.copy_context().run, fn) for fn in calls[1:]]
    first_error: BaseException | None = None
    try:
        first = calls[0]()
    except BaseException as exc:   # noqa: BLE001 - re-raised below, after the others finish
        first_error, first = exc, None
    wait(futures)
    if first_error is not None:
        raise first_error
    return [first, *(f.result() for f in futures)]
