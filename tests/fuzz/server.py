"""``python -m tests.fuzz.server PORT STATE_DIR``: the real front and app with the stub authenticator."""

from __future__ import annotations

import sys
from pathlib import Path

from ec2api_runtime import server
from ec2api_runtime.app import create_app
from ec2api_runtime.config import Config
from ec2api_runtime.db import Database
from tests.unit.test_app import StubAuth


def main() -> None:
    port, state = int(sys.argv[1]), Path(sys.argv[2])
    config = Config(host="127.0.0.1", port=port, threads=4, database_url=f"sqlite:///{state / 'state.sqlite'}",
                    log_level="WARNING", read_timeout=5)
    db = Database(config.database_url)
    db.upgrade()
    server.serve(config, server.listen(config.host, port), wsgi_app=create_app(config, db=db, authenticator=StubAuth()))


if __name__ == "__main__":
    main()
