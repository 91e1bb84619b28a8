"""The ``ec2api`` command: serve, db upgrade, coverage."""

from __future__ import annotations

import sys

import click

from ec2api_runtime import logs
from ec2api_runtime.config import Config
from ec2api_runtime.model_cli import model


def _config(config_path: str | None, cloud_json: str | None) -> Config:
    if cloud_json:
        return Config.from_cloud_json(cloud_json)
    return Config.load(config_path)


@click.group()
def main() -> None:
    """ec2api: the Amazon EC2 API for OpenStack clouds."""


@main.command()
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="TOML configuration file (default: $EC2API_CONFIG).")
@click.option("--cloud-json", type=click.Path(exists=True, dir_okay=False),
              help="Development: configure from the test cloud's .cloud/cloud.json.")
@click.option("--host", help="Listen address (overrides the configuration).")
@click.option("--port", type=int, help="Listen port (overrides the configuration).")
@click.option("--workers", type=int, help="Worker processes; 1 = a single process for development.")
@click.option("--threads", type=int, help="Threads per worker.")
def serve(config_path: str | None, cloud_json: str | None, host: str | None, port: int | None,
          workers: int | None, threads: int | None) -> None:
    """Serve the EC2 API (waitress; N worker processes share the database and the cloud)."""
    cfg = _config(config_path, cloud_json)
    cfg.host = host or cfg.host
    cfg.port = port or cfg.port
    cfg.workers = workers or cfg.workers
    cfg.threads = threads or cfg.threads
    logs.configure(cfg.log_level)
    from ec2api_runtime.db import Database

    database = Database(cfg.database_url)
    database.upgrade()   # once, before workers fork
    database.dispose()   # workers open their own connections
    from ec2api_runtime.server import run

    run(cfg)


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--cloud-json", type=click.Path(exists=True, dir_okay=False))
def db_upgrade(config_path: str | None, cloud_json: str | None) -> None:
    """Create or migrate ec2api's schema to the newest version."""
    from ec2api_runtime.db import Database

    cfg = _config(config_path, cloud_json)
    Database(cfg.database_url).upgrade()
    click.echo(f"database at {cfg.database_url.split('@')[-1]} is up to date")


@db.command("rotate-secret")
@click.argument("name", type=click.Choice(["pagination"]))
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--cloud-json", type=click.Path(exists=True, dir_okay=False))
def db_rotate_secret(name: str, config_path: str | None, cloud_json: str | None) -> None:
    """Replace a deployment secret (then restart the workers; old NextToken values stop working)."""
    from ec2api_runtime.db import Database, secrets

    cfg = _config(config_path, cloud_json)
    with Database(cfg.database_url).session() as s:
        secrets.rotate(s, name)
    click.echo(f"secret {name!r} rotated: restart every ec2api worker to use it")


@main.command()
@click.option("--list", "as_list", is_flag=True,
              help="Each operation per area: its handler, the input members it honours; the ones not implemented.")
def coverage(as_list: bool) -> None:
    """Implemented operations per area, out of the model's total."""
    from ec2api_runtime.coverage import listing, report
    from ec2api_runtime.dispatch import load_handlers

    handlers = load_handlers()
    if as_list:
        click.echo("\n".join(listing(handlers)))
        return
    implemented = set(handlers)
    for area, done, total in report(implemented):
        click.echo(f"{area:<20} {done:>4} / {total:<4}")


main.add_command(model)

if __name__ == "__main__":
    sys.exit(main())

