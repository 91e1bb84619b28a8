"""ec2api's state: EC2 ids, tags, idempotency records, account ids and secrets, in SQL.

``Database(url)`` owns the engine; the modules' functions take a ``Session`` from ``db.session()``::

    from ec2api_runtime.db import Database, ids, tags
    db = Database("sqlite:///ec2api.sqlite"); db.upgrade()
    with db.session() as s:
        instance_id = ids.ec2_id(s, project_id, "i", server.id)
"""

from __future__ import annotations

from ec2api_runtime.db import accounts, idempotency, ids, models, secrets, tags
from ec2api_runtime.db.engine import Database

__all__ = ["Database", "accounts", "idempotency", "ids", "models", "secrets", "tags"]
