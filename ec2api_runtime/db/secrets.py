"""Deployment-wide secrets: random bytes made once on first use and stored, so every worker (and
every restart) that shares the database signs and verifies with the same key.

Random rather than derived from configuration: a key derived from the database URL or any other
setting can be recomputed by whoever learns the setting. ``rotate`` replaces a secret; what was
signed with the old one is then refused (pagination tokens: ``InvalidPaginationToken``, and the
client starts its listing again). Workers read a secret once, so restart them after rotating.
"""

from __future__ import annotations

import secrets as _random

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ec2api_runtime.db.models import Secret
from ec2api_runtime.db.types import utcnow

PAGINATION = "pagination"
_BYTES = 32


def get(s: Session, name: str) -> bytes:
    """The secret ``name``, created on first use (concurrent first uses agree on one)."""
    for _ in range(3):
        found = s.scalar(select(Secret.value).where(Secret.name == name))
        if found is not None:
            return bytes.fromhex(found)
        try:
            with s.begin_nested():
                s.execute(insert(Secret).values(name=name, value=_random.token_hex(_BYTES), created_at=utcnow()))
        except IntegrityError:
            continue   # another worker made it first: read theirs
    found = s.scalar(select(Secret.value).where(Secret.name == name))
    if found is None:
        raise RuntimeError(f"could not create the secret {name!r}")
    return bytes.fromhex(found)


def rotate(s: Session, name: str) -> None:
    """Replace the secret ``name`` with new random bytes."""
    s.execute(delete(Secret).where(Secret.name == name))
    s.execute(insert(Secret).values(name=name, value=_random.token_hex(_BYTES), created_at=utcnow()))
