"""Running the WSGI app under gunicorn, from the ``ec2api serve`` command."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from ec2api_runtime.config import Config


class _Gunicorn(BaseApplication):
    def __init__(self, config: Config) -> None:
        self.config_obj = config
        super().__init__()

    def load_config(self) -> None:
        c = self.config_obj
        settings = {
            "bind": f"{c.host}:{c.port}",
            "workers": c.workers,
            "threads": c.threads,
            "worker_class": "gthread" if c.threads > 1 else "sync",
            "accesslog": None,
            "loglevel": c.log_level.lower(),
            "keepalive": 75,
            "timeout": 120,
            "graceful_timeout": 10,
        }
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from ec2api_runtime import logs
        from ec2api_runtime.app import create_app

        logs.configure(self.config_obj.log_level)
        return create_app(self.config_obj)


def run(config: Config) -> None:
    """Serve until stopped. Each worker builds its own app (and database pool) after the fork."""
    _Gunicorn(config).run()


