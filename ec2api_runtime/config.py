"""Service configuration: a TOML file, then ``EC2API_*`` environment variables on top.

Every setting has an environment variable named ``EC2API_`` + the upper-cased field name
(``EC2API_DATABASE_URL``, ``EC2API_KEYSTONE_URL``, ...). ``Config.from_cloud_json`` builds a development
configuration from the test cloud's ``.cloud/cloud.json``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Config:
    """Everything the service needs to know; see README "Configuration"."""

    # Where the service listens.
    host: str = "127.0.0.1"
    port: int = 8788
    workers: int = 1
    threads: int = 4
    # Connections are read by an event loop, not by the threads that run handlers: a client that
    # sends nothing for read_timeout seconds (mid-headers, mid-body or idle between requests) is
    # disconnected; max_connections are held open per worker (stalled ones cost a socket each).
    read_timeout: int = 60
    max_connections: int = 4096
    # Keystone and the service user that may call /v3/ec2tokens (it needs the `service` role).
    keystone_url: str = "http://127.0.0.1:5000/v3"
    service_username: str = "ec2api"
    service_password: str = ""
    service_project: str = "service"
    service_user_domain: str = "Default"
    service_project_domain: str = "Default"
    region: str = "RegionOne"
    interface: str = "public"
    # How long a cached EC2 secret is trusted before Keystone is asked again: the upper bound on how
    # long a deleted credential keeps working.
    credential_ttl: float = 300.0
    token_margin: float = 300.0
    keystone_timeout: float = 10.0
    openstack_timeout: float = 30.0
    # ec2api's own state.
    database_url: str = "sqlite:///ec2api.sqlite"
    # How long terminated instances stay visible, as on AWS.
    terminated_visible_seconds: float = 3600.0
    # How long DescribeImages by id answers an empty list (not NotFound) for a deregistered image.
    deregistered_visible_seconds: float = 3600.0
    # Key signing NextToken values. Empty (the default): a random key made once per deployment and
    # kept in the database (``secrets`` table), shared by every worker; see README to rotate it.
    pagination_secret: str = ""
    log_level: str = "INFO"
    # EC2 volume type -> Cinder volume type name (``{"gp3": "ssd"}``); a type not named maps to the
    # Cinder type of its own name. ``multiattach_volume_types`` names the Cinder types (with
    # ``multiattach <is> True``) used for MultiAttachEnabled; default ``<type>-multiattach``.
    # From the environment: ``gp3=ssd,io1=fast``.
    volume_types: dict[str, str] = field(default_factory=dict)
    multiattach_volume_types: dict[str, str] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, env: Mapping[str, str] | None = None) -> Config:
        """Read ``path`` (TOML, optional) and apply ``EC2API_*`` environment variables."""
        env = os.environ if env is None else env
        values: dict = {}
        path = path or env.get("EC2API_CONFIG")
        if path:
            with open(path, "rb") as f:
                data = tomllib.load(f)
            values.update(data.get("ec2api", data))
        return cls._with_env(values, env)

    @classmethod
    def _with_env(cls, values: dict, env: Mapping[str, str]) -> Config:
        known = {f.name: f for f in dataclasses.fields(cls) if f.name != "extra"}
        unknown = set(values) - set(known)
        if unknown:
            raise ValueError(f"unknown configuration settings: {', '.join(sorted(unknown))}")
        for name, f in known.items():
            raw = env.get(f"EC2API_{name.upper()}")
            if raw is not None:
                values[name] = _convert(raw, f.type)
        return cls(**values)

    @classmethod
    def from_cloud_json(cls, path: str | os.PathLike, env: Mapping[str, str] | None = None) -> Config:
        """A development configuration pointing at the test cloud described by ``cloud.json``.

        ``EC2API_*`` environment variables still apply on top.
        """
        info = json.loads(Path(path).read_text())
        service = info["ec2api_service_user"]
        state_dir = Path(path).resolve().parent
        values = {
            "keystone_url": info["keystone_url"],
            "region": info.get("region", "RegionOne"),
            "service_username": service["username"],
            "service_password": service["password"],
            "service_project": service.get("project_name", "service"),
            "service_user_domain": service.get("user_domain_name", "Default"),
            "service_project_domain": service.get("project_domain_name", "Default"),
            "database_url": f"sqlite:///{state_dir / 'ec2api.sqlite'}",
        }
        return cls._with_env(values, os.environ if env is None else env)


def _convert(raw: str, type_name: object) -> object:
    text = str(type_name)
    if "dict" in text:
        pairs = (p.split("=", 1) for p in raw.split(",") if p.strip())
        return {k.strip(): v.strip() for k, v in pairs}
    if "int" in text:
        return int(raw)
    if "float" in text:
        return float(raw)
    if "bool" in text:
        return raw.lower() in ("1", "true", "yes", "on")
    return raw
