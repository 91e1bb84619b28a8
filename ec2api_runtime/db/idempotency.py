"""``ClientToken`` records: a retry gets the first result; other parameters get a mismatch error.

Use three short transactions, never one around the OpenStack call (see ``ec2api_runtime.idempotent``)::

    with db.session() as s: rec = begin(s, project, "RunInstances", token, digest(params))
    ...do the work...
    with db.session() as s: complete(s, project, "RunInstances", token, result)   # or abandon(...)

A token is honoured for ``TTL`` (AWS: at least 24 hours); an expired record is overwritten, and so
is a record left pending for ``STALE_PENDING`` by a worker that died mid-operation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ec2api_runtime import tagged_json
from ec2api_runtime.db.models import IdempotencyRecord
from ec2api_runtime.db.types import utcnow
from ec2api_runtime.errors import EC2Error

TTL = dt.timedelta(hours=24)
# A record still pending after this long belongs to a worker that died between begin() and
# complete()/abandon(); a retry takes it over instead of being refused until the TTL runs out.
# EC2 calls return in seconds (they start work, they do not wait for it), so this is generous.
STALE_PENDING = dt.timedelta(minutes=10)
PENDING = "pending"
COMPLETE = "complete"
EXCLUDED_PARAMS = frozenset({"ClientToken", "DryRun"})


@dataclass(frozen=True)
class Record:
    """A token seen before: ``result`` is the stored result, None while the first run is in progress."""

    project_id: str
    operation: str
    token: str
    digest: str
    state: str
    result: dict[str, Any] | None
    created_at: dt.datetime

    @property
    def pending(self) -> bool:
        """The first request with this token has not finished (or failed without ``abandon``)."""
        return self.state == PENDING


def digest(params: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``params`` without ``ClientToken`` and ``DryRun``."""
    body = {k: v for k, v in params.items() if k not in EXCLUDED_PARAMS}
    text = json.dumps(tagged_json.encode(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def begin(s: Session, project_id: str, operation: str, client_token: str, params_digest: str,
          *, now: dt.datetime | None = None) -> Record | None:
    """Claim ``client_token`` for this operation; None when this is its first use (a pending row is
    created), a ``Record`` when it was seen before with the same parameters.

    Raises ``IdempotentParameterMismatch`` when the token was used with other parameters.
    """
    now = now or utcnow()
    for _ in range(3):
        row = _get(s, project_id, operation, client_token)
        if row is None:
            try:
                with s.begin_nested():
                    s.execute(insert(IdempotencyRecord).values(
                        project_id=project_id, operation=operation, token=client_token, digest=params_digest,
                        state=PENDING, result=None, created_at=now))
                return None
            except IntegrityError:
                continue        # a concurrent first use won: read its row
        expired = row.created_at <= now - TTL
        stale = row.state == PENDING and row.created_at <= now - STALE_PENDING and row.digest == params_digest
        if expired or stale:
            # The token starts a new life. The WHERE on created_at makes concurrent takeovers
            # race-free: only one UPDATE matches.
            taken = _rowcount(s.execute(
                update(IdempotencyRecord)
                .where(_key(project_id, operation, client_token), IdempotencyRecord.created_at == row.created_at)
                .values(digest=params_digest, state=PENDING, result=None, created_at=now)))
            if taken:
                return None
            continue
        if row.digest != params_digest:
            raise EC2Error("IdempotentParameterMismatch",
                           f"Client token '{client_token}' was already used for a {operation} request "
                           "with different parameters.")
        return Record(row.project_id, row.operation, row.token, row.digest, row.state,
                      decode(row.result) if row.result is not None else None, row.created_at)
    raise RuntimeError(f"could not claim client token {client_token!r}")


def complete(s: Session, project_id: str, operation: str, client_token: str, result: dict[str, Any]) -> None:
    """Store the result of the first run (JSON; datetimes, bytes and decimals survive the round trip)."""
    text = encode(result)
    done = _rowcount(s.execute(update(IdempotencyRecord).where(_key(project_id, operation, client_token))
                               .values(state=COMPLETE, result=text)))
    if not done:
        # The pending row is gone (purged, or begin() ran elsewhere): keep the result all the same.
        s.execute(insert(IdempotencyRecord).values(
            project_id=project_id, operation=operation, token=client_token, digest="", state=COMPLETE,
            result=text, created_at=utcnow()))


def abandon(s: Session, project_id: str, operation: str, client_token: str) -> None:
    """Forget a pending token whose operation failed, so that a retry runs it again."""
    s.execute(delete(IdempotencyRecord).where(_key(project_id, operation, client_token),
                                              IdempotencyRecord.state == PENDING))


def purge(s: Session, *, now: dt.datetime | None = None) -> int:
    """Delete expired records of every project (housekeeping); returns how many."""
    cutoff = (now or utcnow()) - TTL
    return _rowcount(s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at <= cutoff)))


def _rowcount(result: Any) -> int:
    """Rows an UPDATE or DELETE matched (``Session.execute`` is typed as returning a plain ``Result``;
    for DML it is a ``CursorResult``, which counts them)."""
    return cast(CursorResult[Any], result).rowcount


def _key(project_id: str, operation: str, token: str) -> Any:
    return ((IdempotencyRecord.project_id == project_id) & (IdempotencyRecord.operation == operation)
            & (IdempotencyRecord.token == token))


def _get(s: Session, project_id: str, operation: str, token: str) -> Any:
    q = select(IdempotencyRecord.__table__).where(_key(project_id, operation, token))
    return s.execute(q).first()


def encode(value: Any) -> str:
    """JSON text of a result, keeping datetimes, dates, bytes, decimals, tuples and sets."""
    return tagged_json.dumps(value)


def decode(text: str) -> Any:
    """The value that ``encode`` wrote."""
    return tagged_json.loads(text)
