"""The per-request context handed to every handler: who is calling, and lazily, their clouds."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from ec2api_runtime.db import secrets
from ec2api_runtime.openstack import connection_for

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ec2api_runtime.auth import Caller
    from ec2api_runtime.config import Config
    from ec2api_runtime.db import Database


class RequestContext:
    """What a handler ``fn(ctx, params)`` may use.

    ``ctx.os`` is an openstacksdk connection acting as the caller (created on first use);
    ``ctx.session()`` a database transaction; ``ctx.project_id`` the caller's project, the scope of
    every EC2 id, tag and idempotency record.
    """

    def __init__(self, request_id: str, operation: str, caller: Caller, config: Config, db: Database) -> None:
        self.request_id = request_id
        self.operation = operation
        self.caller = caller
        self.config = config
        self.db = db

    @property
    def project_id(self) -> str:
        return self.caller.project_id

    @property
    def region(self) -> str:
        return self.config.region

    @cached_property
    def os(self) -> Any:
        """An openstacksdk ``Connection`` acting as the caller."""
        return connection_for(self.caller, self.config.region, self.config.openstack_timeout)

    @contextmanager
    def session(self) -> Iterator[Any]:
        """A database session in a transaction: committed on success, rolled back on error."""
        with self.db.session() as s:
            yield s

    @property
    def pagination_secret(self) -> bytes:
        """The key that signs NextToken values: the configured one, else a random one made once per
        deployment and kept in the database (shared by every worker, read once per process)."""
        if self.config.pagination_secret:
            return _configured_secret(self.config.pagination_secret)
        return self.db.secret(secrets.PAGINATION)

    @cached_property
    def account_id(self) -> str:
        """The caller project's 12-digit account id (``OwnerId``)."""
        from ec2api_runtime.db import accounts

        with self.db.session() as s:
            return accounts.account_id(s, self.project_id)


@lru_cache(maxsize=8)
def _configured_secret(value: str) -> bytes:
    return hashlib.sha256(b"ec2api-pagination:" + value.encode()).digest()
