"""Account ids: one random 12-digit AWS account id per Keystone project, reported as ``OwnerId``.

Random rather than derived from the project id, so that an account id reveals nothing about the
project; stable once created (stored). The first digit is never 0, so that tools that treat the id
as a number still print 12 digits.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ec2api_runtime.db.models import Account
from ec2api_runtime.db.types import utcnow

ACCOUNT_ID_RE = re.compile(r"[0-9]{12}")


def new_account_id() -> str:
    """A random 12-digit id in [100000000000, 999999999999]."""
    return str(10**11 + secrets.randbelow(9 * 10**11))


def account_id(s: Session, project_id: str) -> str:
    """The project's account id, created on first use (concurrent first uses agree on one)."""
    for _ in range(5):
        found = s.scalar(select(Account.account_id).where(Account.project_id == project_id))
        if found is not None:
            return found
        new = new_account_id()
        try:
            with s.begin_nested():
                s.execute(insert(Account).values(project_id=project_id, account_id=new, created_at=utcnow()))
            return new
        except IntegrityError:
            continue    # the project got one concurrently, or the random id is taken: read again
    raise RuntimeError(f"could not create an account id for project {project_id}")


def project_id(s: Session, account_id: str) -> str | None:
    """The project of an account id; None when no project has it."""
    if not isinstance(account_id, str) or not ACCOUNT_ID_RE.fullmatch(account_id):
        return None
    return s.scalar(select(Account.project_id).where(Account.account_id == account_id))
