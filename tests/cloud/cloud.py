"""Start, stop and provision the ec2api test cloud (a real OpenStack on 127.0.0.1).

Run by tests/cloud/cloud.sh with the cloud's own venv (``<state>/venv``), which the
shell script installs first.  ``down``, ``status`` and ``reset`` use the standard
library only, so they also work with any python3 when the venv is missing.

Layout of the state directory (``.cloud/`` or ``$EC2API_CLOUD_DIR``)::

    venv/        OpenStack's virtualenv (kept by ``reset``)
    etc/<svc>/   generated configuration files
    logs/        one log file per process
    run/         one PID file per process started by this script
    data/        MariaDB, RabbitMQ, Glance images, Nova/Cinder state
    cloud.json, clouds.yaml, aws-credentials, aws-config   (written when ready)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
STATE = Path(os.environ.get("EC2API_CLOUD_DIR") or ROOT / ".cloud").resolve()
VENV = STATE / "venv"
BIN = VENV / "bin"
ETC = STATE / "etc"
LOGS = STATE / "logs"
RUN = STATE / "run"
DATA = STATE / "data"
# The test cloud's own drivers (a file-backed Cinder backend, a fake compute driver whose snapshots
# upload): loaded by the cloud's Python from here, nothing is written into the venv.
DRIVERS = HERE / "drivers"

HOST = "127.0.0.1"
REGION = "RegionOne"
COMPUTE_HOST = "ec2api-cloud"  # the first nova-compute's host (== a registered OVS agent's host)
# Several fake compute hosts, each its own nova-compute process. Why more than one: on every claim,
# Nova's resource tracker reads the allocations of each instance on its host from Placement, so
# booting N instances on one host costs ~N²/2 Placement calls (500 instances: over half an hour on
# two cores); spread over K hosts it is K times fewer. EC2API_CLOUD_COMPUTES picks K (default 3).
COMPUTES = max(1, int(os.environ.get("EC2API_CLOUD_COMPUTES", "3")))
COMPUTE_HOSTS = [COMPUTE_HOST] + [f"{COMPUTE_HOST}-{n}" for n in range(2, COMPUTES + 1)]


def compute_process(host: str) -> str:
    """The process name (pid file, log) of the nova-compute serving ``host``."""
    return "nova-compute" + host[len(COMPUTE_HOST):]


COMPUTE_PROCESSES = [compute_process(h) for h in COMPUTE_HOSTS]

# EC2API_CLOUD_PORT_OFFSET shifts every port (a second cloud beside the first, with its own state dir).
# The offset `up` used is remembered in the state dir, so down/status find the same ports.
_OFFSET_FILE = STATE / "port-offset"
if os.environ.get("EC2API_CLOUD_PORT_OFFSET"):
    PORT_OFFSET = int(os.environ["EC2API_CLOUD_PORT_OFFSET"])
elif _OFFSET_FILE.exists():
    PORT_OFFSET = int(_OFFSET_FILE.read_text().strip() or 0)
else:
    PORT_OFFSET = 0
PORTS = {
    "mariadb": 3306,
    "memcached": 11211,
    "rabbitmq": 5672,
    "epmd": 4369,
    "rabbitmq-dist": 25672,
    "keystone": 5000,
    "placement": 8778,
    "nova-api": 8774,
    "neutron": 9696,
    "glance": 9292,
    "cinder-api": 8776,
}
PORTS = {k: v + PORT_OFFSET for k, v in PORTS.items()}

DB_USER, DB_PASSWORD = "openstack", "openstack-db-pw"
EC2API_DB_USER, EC2API_DB_PASSWORD, EC2API_DB = "ec2api", "ec2api-db-pw", "ec2api"
SERVICE_PASSWORD = "service-pw"
USERS = {
    # name: (password, project, role)
    "admin": ("admin-pw", "admin", "admin"),
    "demo": ("demo-pw", "demo", "member"),
    "alt": ("alt-pw", "alt", "member"),
    "ec2api": ("ec2api-pw", "service", "service"),
}
SERVICE_USERS = ["nova", "neutron", "glance", "cinder", "placement"]
DATABASES = ["keystone", "placement", "nova_api", "nova", "nova_cell0", "neutron", "glance", "cinder"]

IMAGE_NAME = "ec2api-test-image"
# AWS instance types: name -> (vcpus, ram MiB). Disks are tiny: the fake virt driver stores nothing.
FLAVORS = {
    "t2.nano": (1, 512), "t2.micro": (1, 1024), "t2.small": (1, 2048),
    "t3.nano": (2, 512), "t3.micro": (2, 1024), "t3.small": (2, 2048), "t3.medium": (2, 4096),
    "t3.large": (2, 8192), "m5.large": (2, 8192), "m5.xlarge": (4, 16384),
    "c5.large": (2, 4096), "c5.xlarge": (4, 8192), "r5.large": (2, 16384),
}
PUBLIC_CIDR, PUBLIC_GW, PUBLIC_POOL = "172.24.0.0/16", "172.24.0.1", ("172.24.1.1", "172.24.255.254")
PRIVATE_CIDR = "172.31.0.0/20"  # what AWS uses for a default VPC's first subnet

KEYSTONE_URL = f"http://{HOST}:{PORTS['keystone']}"
AUTH_URL = KEYSTONE_URL + "/v3"
ENDPOINTS = {
    # service name, type(s), url
    "nova": (["compute"], f"http://{HOST}:{PORTS['nova-api']}/v2.1"),
    "placement": (["placement"], f"http://{HOST}:{PORTS['placement']}"),
    "neutron": (["network"], f"http://{HOST}:{PORTS['neutron']}"),
    "glance": (["image"], f"http://{HOST}:{PORTS['glance']}"),
    "cinder": (["block-storage", "volumev3"], f"http://{HOST}:{PORTS['cinder-api']}/v3"),
}

T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[cloud {time.monotonic() - T0:6.1f}s] {msg}", flush=True)


class CloudError(Exception):
    pass


# --------------------------------------------------------------------------------------------
# processes

def pidfile(name: str) -> Path:
    return RUN / f"{name}.pid"


def read_pid(name: str) -> int | None:
    try:
        return int(pidfile(name).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def reap() -> None:
    """Collect exited children (processes started by this very run) so they do not linger as zombies."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def group_alive(pgid: int) -> bool:
    """Some non-zombie process is still in process group pgid."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    reap()
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            fields = (p / "stat").read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def starttime(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def ours(name: str, pid: int) -> bool:
    """The PID file's process is still the one we started (same start time: not a recycled PID)."""
    try:
        recorded = pidfile(name).read_text().split()[1]
    except (OSError, IndexError):
        return False
    return recorded == starttime(pid)


def running(name: str) -> bool:
    pid = read_pid(name)
    return bool(pid) and alive(pid) and ours(name, pid)


def start(name: str, argv: list[str], env: dict | None = None) -> int:
    """Start a long-running process in its own session; remember it in run/<name>.pid."""
    if running(name):
        return read_pid(name)
    LOGS.mkdir(parents=True, exist_ok=True)
    RUN.mkdir(parents=True, exist_ok=True)
    full_env = dict(os.environ)
    full_env.pop("PYTHONPATH", None)
    full_env.update(env or {})
    with open(LOGS / f"{name}.log", "ab") as out:
        out.write(f"\n===== {time.strftime('%F %T')} starting {' '.join(argv)}\n".encode())
        out.flush()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                env=full_env, start_new_session=True, cwd=str(STATE))
    pidfile(name).write_text(f"{proc.pid} {starttime(proc.pid)} {name}\n")
    return proc.pid


UWSGI_SERVICES = {"keystone", "placement", "glance", "neutron", "cinder-api", "nova-api"}


def stop(name: str, timeout: float = 20.0) -> None:
    """Stop the process group we started for `name` (TERM, or INT for uwsgi; then KILL)."""
    # uwsgi: SIGINT stops master and workers at once (SIGTERM would wait for graceful shutdown).
    sig = signal.SIGINT if name in UWSGI_SERVICES else signal.SIGTERM
    pid = read_pid(name)
    if not pid:
        pidfile(name).unlink(missing_ok=True)
        return
    if not ours(name, pid):
        # Not (or no longer) the process we started: its PID may have been recycled.  Leave it alone.
        if alive(pid):
            log(f"{name}: PID {pid} is not the process this script started; not touching it")
        pidfile(name).unlink(missing_ok=True)
        return
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    resend = time.monotonic() + 5
    while time.monotonic() < deadline and group_alive(pid):
        time.sleep(0.1)
        reap()
        if time.monotonic() > resend:  # a signal that arrived during start-up may have been lost
            resend = time.monotonic() + 5
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
    if group_alive(pid):
        log(f"{name} did not stop in {timeout:.0f}s; killing it")
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        while group_alive(pid):
            time.sleep(0.1)
    pidfile(name).unlink(missing_ok=True)


def tail(name: str, lines: int = 40) -> str:
    path = LOGS / f"{name}.log"
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def fail(msg: str, logname: str | None = None) -> CloudError:
    if logname:
        msg += f"\n--- last lines of {LOGS / (logname + '.log')} ---\n{tail(logname)}"
    return CloudError(msg)


def run(name: str, argv: list[str], env: dict | None = None, timeout: float = 600, ok=(0,)) -> None:
    """Run a one-shot command, logging to logs/<name>.log; raise with the log tail on failure.

    Everything but Keystone's steps runs niced: Keystone is on the critical path (the other
    services' daemons need it), and on two cores the six schema syncs compete for the CPU.
    """
    if not name.startswith("keystone"):
        argv = ["nice", "-n", "10"] + argv
    LOGS.mkdir(parents=True, exist_ok=True)
    full_env = dict(os.environ)
    full_env.pop("PYTHONPATH", None)
    full_env.update(env or {})
    with open(LOGS / f"{name}.log", "ab") as out:
        out.write(f"\n===== {time.strftime('%F %T')} {' '.join(argv)}\n".encode())
        out.flush()
        rc = subprocess.call(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             env=full_env, cwd=str(STATE), timeout=timeout)
    if rc not in ok:
        raise fail(f"command failed (rc={rc}): {' '.join(argv)}", name)


def port_open(port: int, host: str = HOST) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (OSError, urllib.error.URLError):
        return None


def wait_for(what: str, check, timeout: float, logname: str | None = None, procs=(), interval=0.25):
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except Exception as e:  # noqa: BLE001 - readiness probes may fail in any way until ready
            result = None
            last = e
        else:
            last = None
        if result:
            return result
        for p in procs:
            if not running(p):
                raise fail(f"{p} exited while waiting for {what}", p)
        if time.monotonic() > deadline:
            extra = f" (last error: {last!r})" if last else ""
            raise fail(f"timed out after {timeout:.0f}s waiting for {what}{extra}", logname)
        time.sleep(interval)


# --------------------------------------------------------------------------------------------
# configuration files

def db_url(name: str) -> str:
    return f"mysql+pymysql://{DB_USER}:{DB_PASSWORD}@{HOST}:{PORTS['mariadb']}/{name}?charset=utf8mb4"


def ini(sections: dict) -> str:
    out = []
    for sec, opts in sections.items():
        out.append(f"[{sec}]")
        for k, v in opts.items():
            if isinstance(v, bool):
                v = str(v).lower()
            out.append(f"{k} = {v}")
        out.append("")
    return "\n".join(out)


def authtoken(user: str) -> dict:
    return {
        "www_authenticate_uri": KEYSTONE_URL,
        "auth_url": KEYSTONE_URL,
        "auth_type": "password",
        "project_domain_name": "Default",
        "user_domain_name": "Default",
        "project_name": "service",
        "username": user,
        "password": SERVICE_PASSWORD,
        "region_name": REGION,
        "service_token_roles_required": True,
        "memcached_servers": f"{HOST}:{PORTS['memcached']}",
    }


def service_auth(user: str) -> dict:
    return {
        "auth_type": "password",
        "auth_url": KEYSTONE_URL,
        "project_domain_name": "Default",
        "user_domain_name": "Default",
        "project_name": "service",
        "username": user,
        "password": SERVICE_PASSWORD,
        "region_name": REGION,
    }


TRANSPORT = f"rabbit://guest:guest@{HOST}:{PORTS['rabbitmq']}/"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def uwsgi_ini(name: str, module: str, port: int, processes: int, env: dict, extra: dict | None = None,
              threads: int = 1) -> str:
    opts = {
        "http-socket": f"{HOST}:{port}",
        "module": module,
        "home": str(VENV),
        "master": True,
        "processes": processes,
        "threads": threads,
        "enable-threads": True,
        "lazy-apps": True,
        "die-on-term": True,
        "exit-on-reload": True,
        "need-app": True,
        "buffer-size": 65535,
        "post-buffering": 65536,
        "thunder-lock": True,
        "disable-logging": True,
        "add-header": "Connection: close",
        "procname-prefix-spaced": f"ec2api-cloud-{name}",
        "hook-master-start": "unix_signal:15 gracefully_kill_them_all",
        "worker-reload-mercy": 5,
    }
    opts.update(extra or {})
    lines = ["[uwsgi]"] + [f"{k} = {str(v).lower() if isinstance(v, bool) else v}" for k, v in opts.items()]
    lines += [f"env = {k}={v}" for k, v in env.items()]
    return "\n".join(lines) + "\n"


def write_configs() -> None:
    for d in (ETC, LOGS, RUN, DATA, DATA / "locks", DATA / "nova" / "instances", DATA / "neutron",
              DATA / "cinder" / "volumes", DATA / "cinder" / "file-volumes", DATA / "glance" / "images", DATA / "glance" / "staging",
              DATA / "glance" / "tasks", DATA / "keystone"):
        d.mkdir(parents=True, exist_ok=True)
    lock = {"lock_path": str(DATA / "locks")}
    nolog_notify = {"driver": "noop"}
    venv_etc = VENV / "etc"

    # ---- MariaDB
    my = DATA / "mysql"
    write(ETC / "mariadb" / "my.cnf", ini({
        "mysqld": {
            "datadir": my / "data", "socket": my / "mysqld.sock", "pid-file": my / "mysqld.pid",
            "tmpdir": my / "tmp", "bind-address": HOST, "port": PORTS["mariadb"],
            "skip-name-resolve": "ON", "skip-log-bin": "ON",
            "character-set-server": "utf8mb4", "collation-server": "utf8mb4_general_ci",
            "innodb_flush_log_at_trx_commit": 0, "innodb_doublewrite": 0,
            "innodb_buffer_pool_size": "256M", "innodb_log_file_size": "64M",
            "max_connections": 2000, "log-error": LOGS / "mariadb.log",
        },
        "client": {"socket": my / "mysqld.sock", "user": "root"},
    }).replace(" = ON", ""))

    # ---- Keystone
    write(ETC / "keystone" / "keystone.conf", ini({
        "DEFAULT": {"debug": False},
        "database": {"connection": db_url("keystone"), "max_pool_size": 10},
        "token": {"provider": "fernet", "expiration": 14400},
        "fernet_tokens": {"key_repository": DATA / "keystone" / "fernet-keys"},
        "fernet_receipts": {"key_repository": DATA / "keystone" / "fernet-keys"},
        "credential": {"key_repository": DATA / "keystone" / "credential-keys"},
        "cache": {"enabled": True, "backend": "oslo_cache.memcache_pool",
                  "memcache_servers": f"{HOST}:{PORTS['memcached']}", "expiration_time": 600},
        "identity": {"password_hash_rounds": 4},  # bcrypt's minimum: fast logins, this is a test cloud
        "oslo_messaging_notifications": nolog_notify,
    }))
    write(ETC / "keystone" / "uwsgi.ini", uwsgi_ini(
        "keystone", "keystone.wsgi.api:application", PORTS["keystone"], 2,
        {"OS_KEYSTONE_CONFIG_DIR": ETC / "keystone"}, threads=2))

    # ---- Placement
    write(ETC / "placement" / "placement.conf", ini({
        "DEFAULT": {"debug": False},
        "api": {"auth_strategy": "keystone"},
        "placement_database": {"connection": db_url("placement"), "max_pool_size": 10},
        "keystone_authtoken": authtoken("placement"),
        "oslo_concurrency": lock,
    }))
    write(ETC / "placement" / "uwsgi.ini", uwsgi_ini(
        "placement", "placement.wsgi.api:application", PORTS["placement"], 1,
        {"OS_PLACEMENT_CONFIG_DIR": ETC / "placement"}, threads=4))

    # ---- Nova
    nova_common = {
        "DEFAULT": {
            "debug": False, "transport_url": TRANSPORT, "host": COMPUTE_HOST, "my_ip": HOST,
            "state_path": DATA / "nova", "instances_path": DATA / "nova" / "instances",
            # Nova's fake driver with snapshots that upload (tests/cloud/drivers/nova_fake_snapshots.py).
            "compute_driver": "nova_fake_snapshots.FakeSnapshotDriver",
            "cpu_allocation_ratio": 16.0, "ram_allocation_ratio": 16.0, "disk_allocation_ratio": 16.0,
            "reserved_host_memory_mb": 0, "reserved_host_disk_mb": 0,
            # With one compute host, resizing (ModifyInstanceAttribute instanceType) must stay on it.
            "allow_resize_to_same_host": True,
            "enabled_apis": "osapi_compute", "osapi_compute_workers": 2,
            "heal_instance_info_cache_interval": -1, "update_resources_interval": 60,
            "graceful_shutdown_timeout": 5,
        },
        "api": {"auth_strategy": "keystone"},
        "wsgi": {"api_paste_config": ETC / "nova" / "api-paste.ini"},
        "keystone_authtoken": authtoken("nova"),
        "service_user": {"send_service_user_token": True, **service_auth("nova")},
        "placement": service_auth("nova"),
        "neutron": {**service_auth("nova"), "service_metadata_proxy": False},
        "cinder": {**service_auth("nova"), "os_region_name": REGION, "catalog_info": "block-storage:cinder:publicURL"},
        "glance": {"region_name": REGION},
        "conductor": {"workers": 1},
        "scheduler": {"workers": 1, "discover_hosts_in_cells_interval": 2},
        "filter_scheduler": {"host_subset_size": 1},
        "quota": {"instances": 10000, "cores": 100000, "ram": 100000000, "key_pairs": 10000,
                  "server_groups": 1000, "server_group_members": 10000, "metadata_items": 1000},
        "oslo_concurrency": lock,
        "oslo_messaging_notifications": nolog_notify,
        "notifications": {"notification_format": "unversioned"},
        "vnc": {"enabled": False},
        "spice": {"enabled": False},
        "serial_console": {"enabled": False},
        "compute": {"resource_provider_association_refresh": 3600},
        "workarounds": {"disable_group_policy_check_upcall": True},
    }
    nova_ctl = {k: dict(v) for k, v in nova_common.items()}
    nova_ctl["database"] = {"connection": db_url("nova"), "max_pool_size": 20}
    nova_ctl["api_database"] = {"connection": db_url("nova_api"), "max_pool_size": 20}
    write(ETC / "nova" / "nova.conf", ini(nova_ctl))
    write(ETC / "nova-compute" / "nova.conf", ini(nova_common))  # no database access for compute
    for host in COMPUTE_HOSTS:
        # Each compute's own host name, lock directory and state_path: nova-compute keeps its
        # node's UUID in <state_path>/compute_id and refuses to start as another host's node.
        state = DATA / "nova" if host == COMPUTE_HOST else DATA / f"nova-{host}"
        for d in (DATA / "locks" / host, state):
            d.mkdir(parents=True, exist_ok=True)
        write(ETC / "nova-compute" / f"{host}.conf", ini({
            "DEFAULT": {"host": host, "state_path": state},
            "oslo_concurrency": {"lock_path": str(DATA / "locks" / host)}}))
    shutil.copy(venv_etc / "nova" / "api-paste.ini", ETC / "nova" / "api-paste.ini")
    write(ETC / "nova" / "uwsgi.ini", uwsgi_ini(
        "nova-api", "nova.wsgi.osapi_compute:application", PORTS["nova-api"], 2,
        {"OS_NOVA_CONFIG_DIR": ETC / "nova"}))

    # ---- Neutron
    write(ETC / "neutron" / "neutron.conf", ini({
        "DEFAULT": {
            "debug": False, "core_plugin": "ml2", "service_plugins": "router",
            "transport_url": TRANSPORT, "auth_strategy": "keystone", "state_path": DATA / "neutron",
            "api_paste_config": ETC / "neutron" / "api-paste.ini",
            "allow_overlapping_ips": True, "dhcp_agent_notification": False,
            "notify_nova_on_port_status_changes": True, "notify_nova_on_port_data_changes": True,
            "agent_down_time": 2147483, "api_workers": 2, "rpc_workers": 0, "rpc_state_report_workers": 0,
            "host": COMPUTE_HOST, "global_physnet_mtu": 1500,
        },
        "database": {"connection": db_url("neutron"), "max_pool_size": 20},
        "keystone_authtoken": authtoken("neutron"),
        "nova": service_auth("neutron"),
        "placement": service_auth("neutron"),
        "oslo_concurrency": lock,
        "oslo_messaging_notifications": nolog_notify,
        "quotas": {"default_quota": -1, "quota_network": 1000, "quota_subnet": 1000, "quota_port": 50000,
                   "quota_router": 1000, "quota_floatingip": 10000, "quota_security_group": 10000,
                   "quota_security_group_rule": 100000},
        "agent": {"report_interval": 0},
    }))
    write(ETC / "neutron" / "plugins" / "ml2" / "ml2_conf.ini", ini({
        "ml2": {"type_drivers": "flat,vxlan", "tenant_network_types": "vxlan",
                "mechanism_drivers": "openvswitch", "extension_drivers": "port_security"},
        "ml2_type_flat": {"flat_networks": "public"},
        "ml2_type_vxlan": {"vni_ranges": "1:100000"},
        "securitygroup": {"enable_security_group": True, "firewall_driver": "openvswitch"},
    }))
    shutil.copy(venv_etc / "neutron" / "api-paste.ini", ETC / "neutron" / "api-paste.ini")
    write(ETC / "neutron" / "uwsgi.ini", uwsgi_ini(
        "neutron", "neutron.wsgi.api:application", PORTS["neutron"], 2,
        {"OS_NEUTRON_CONFIG_DIR": ETC / "neutron"}, {"start-time": "%t"}))

    # ---- Glance
    write(ETC / "glance" / "glance-api.conf", ini({
        "DEFAULT": {"debug": False, "enabled_backends": "file:file", "workers": 1,
                    "show_image_direct_url": False, "image_size_cap": 1099511627776},
        "database": {"connection": db_url("glance"), "max_pool_size": 10},
        "glance_store": {"default_backend": "file"},
        "file": {"filesystem_store_datadir": DATA / "glance" / "images"},
        "os_glance_staging_store": {"filesystem_store_datadir": DATA / "glance" / "staging"},
        "os_glance_tasks_store": {"filesystem_store_datadir": DATA / "glance" / "tasks"},
        "keystone_authtoken": authtoken("glance"),
        "paste_deploy": {"flavor": "keystone", "config_file": ETC / "glance" / "glance-api-paste.ini"},
        "oslo_concurrency": lock,
        "oslo_messaging_notifications": nolog_notify,
    }))
    shutil.copy(venv_etc / "glance" / "glance-api-paste.ini", ETC / "glance" / "glance-api-paste.ini")
    write(ETC / "glance" / "uwsgi.ini", uwsgi_ini(
        "glance", "glance.wsgi.api:application", PORTS["glance"], 1,
        {"OS_GLANCE_CONFIG_DIR": ETC / "glance"},
        # glanceclient (Nova's snapshots, Cinder's upload-to-image) sends 1 MiB chunks: above uWSGI's
        # default chunked-input-limit, which fails them with "unable to receive chunked part".
        {"http-chunked-input": True, "http-raw-body": True, "http-auto-chunked": True,
         "chunked-input-limit": 16 * 1024 * 1024}, threads=2))

    # ---- Cinder
    write(ETC / "cinder" / "cinder.conf", ini({
        "DEFAULT": {
            "debug": False, "transport_url": TRANSPORT, "auth_strategy": "keystone", "my_ip": HOST,
            "host": COMPUTE_HOST, "state_path": DATA / "cinder", "volumes_dir": DATA / "cinder" / "volumes",
            "api_paste_config": ETC / "cinder" / "api-paste.ini",
            "enabled_backends": "file", "default_volume_type": "__DEFAULT__",
            "osapi_volume_workers": 1, "graceful_shutdown_timeout": 5,
            "quota_volumes": 10000, "quota_snapshots": 10000, "quota_gigabytes": 10000000,
            "quota_backups": 10000, "quota_backup_gigabytes": 10000000, "quota_groups": 1000,
        },
        # Volumes and snapshots as sparse files (tests/cloud/drivers/cinder_file.py): no LVM here.
        "file": {"volume_driver": "cinder_file.FileVolumeDriver", "volume_backend_name": "file",
                 "file_volumes_dir": DATA / "cinder" / "file-volumes"},
        "database": {"connection": db_url("cinder"), "max_pool_size": 10},
        "keystone_authtoken": authtoken("cinder"),
        "nova": {**service_auth("cinder"), "interface": "public"},
        "service_user": {"send_service_user_token": True, **service_auth("cinder")},
        "oslo_concurrency": lock,
        "oslo_messaging_notifications": nolog_notify,
    }))
    shutil.copy(venv_etc / "cinder" / "api-paste.ini", ETC / "cinder" / "api-paste.ini")
    shutil.copy(venv_etc / "cinder" / "resource_filters.json", ETC / "cinder" / "resource_filters.json")
    write(ETC / "cinder" / "uwsgi.ini", uwsgi_ini(
        "cinder-api", "cinder.wsgi.api:application", PORTS["cinder-api"], 1, {},
        {"pyargv": f"--config-file {ETC / 'cinder' / 'cinder.conf'}"}, threads=2))


# --------------------------------------------------------------------------------------------
# MariaDB and RabbitMQ

def mysql(sql: str) -> str:
    out = subprocess.run(["mariadb", f"--defaults-file={ETC / 'mariadb' / 'my.cnf'}", "-N", "-B", "-e", sql],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise CloudError(f"mariadb failed: {out.stderr.strip()}\nSQL: {sql[:500]}")
    return out.stdout


def start_mariadb() -> None:
    if running("mariadb"):
        return
    my = DATA / "mysql"
    (my / "tmp").mkdir(parents=True, exist_ok=True)
    cnf = ETC / "mariadb" / "my.cnf"
    if not (my / "data" / "mysql").exists():
        log("initialising MariaDB data directory")
        shutil.rmtree(my / "data", ignore_errors=True)
        run("mariadb-install", ["mariadb-install-db", f"--defaults-file={cnf}", "--user=root",
                                "--auth-root-authentication-method=socket", "--skip-test-db"])
    if port_open(PORTS["mariadb"]):
        raise CloudError(f"port {PORTS['mariadb']} is already in use by another MariaDB/MySQL")
    start("mariadb", ["/usr/sbin/mariadbd", f"--defaults-file={cnf}", "--user=root"])


def wait_mariadb() -> None:
    wait_for("MariaDB", lambda: (DATA / "mysql" / "mysqld.sock").exists() and port_open(PORTS["mariadb"])
             and mysql("SELECT 1").strip() == "1", 60, "mariadb", procs=["mariadb"])


def create_databases() -> None:
    stmts = []
    for db in DATABASES + [EC2API_DB]:
        stmts.append(f"CREATE DATABASE IF NOT EXISTS `{db}` CHARACTER SET utf8mb4")
    for host in ("127.0.0.1", "localhost"):
        stmts.append(f"CREATE USER IF NOT EXISTS '{DB_USER}'@'{host}' IDENTIFIED BY '{DB_PASSWORD}'")
        for db in DATABASES:
            stmts.append(f"GRANT ALL PRIVILEGES ON `{db}`.* TO '{DB_USER}'@'{host}'")
        stmts.append(f"CREATE USER IF NOT EXISTS '{EC2API_DB_USER}'@'{host}' IDENTIFIED BY '{EC2API_DB_PASSWORD}'")
        # ec2api's own database, plus any ec2api_* scratch databases its tests create
        stmts.append(f"GRANT ALL PRIVILEGES ON `ec2api%`.* TO '{EC2API_DB_USER}'@'{host}'")
    stmts.append("FLUSH PRIVILEGES")
    mysql(";\n".join(stmts))


def start_memcached() -> None:
    if running("memcached"):
        return
    if port_open(PORTS["memcached"]):
        raise CloudError(f"port {PORTS['memcached']} (memcached) is already in use by a process this script did not start")
    start("memcached", ["/usr/bin/memcached", "-l", HOST, "-p", str(PORTS["memcached"]), "-U", "0",
                        "-m", "256", "-c", "4096", "-u", "memcache"])


def rabbit_env() -> dict:
    base = DATA / "rabbitmq"
    return {
        "HOME": str(base),
        "RABBITMQ_NODENAME": "rabbit@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": HOST,
        "RABBITMQ_NODE_PORT": str(PORTS["rabbitmq"]),
        "RABBITMQ_DIST_PORT": str(PORTS["rabbitmq-dist"]),
        "ERL_EPMD_ADDRESS": HOST,
        "ERL_EPMD_PORT": str(PORTS["epmd"]),
        "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
        "RABBITMQ_LOG_BASE": str(base / "log"),
        "RABBITMQ_LOGS": "-",
        "RABBITMQ_PID_FILE": str(base / "rabbitmq.pid"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
        "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
        "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
        "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        "RABBITMQ_CTL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
    }


def start_rabbitmq() -> None:
    if running("rabbitmq"):
        return
    base = DATA / "rabbitmq"
    for sub in ("mnesia", "log"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    (base / "enabled_plugins").write_text("[].\n")
    (base / "rabbitmq.conf").write_text(
        f"loopback_users.guest = true\nlisteners.tcp.default = {HOST}:{PORTS['rabbitmq']}\n"
        "vm_memory_high_watermark.absolute = 1GB\ndisk_free_limit.absolute = 50MB\n")
    (base / "advanced.config").write_text("[].\n")
    (base / "rabbitmq-env.conf").write_text("")
    subprocess.call(["chown", "-R", "rabbitmq:rabbitmq", str(base)])
    for port in ("rabbitmq", "epmd", "rabbitmq-dist"):
        if port_open(PORTS[port]):
            raise CloudError(f"port {PORTS[port]} ({port}) is already in use by a process this script did not start")
    env = rabbit_env()
    drop = ["setpriv", "--reuid=rabbitmq", "--regid=rabbitmq", "--init-groups"]
    epmd = sorted(Path("/usr/lib/erlang").glob("erts-*/bin/epmd"))
    if not epmd:
        raise CloudError("epmd not found (is rabbitmq-server installed?)")
    start("epmd", drop + [str(epmd[-1]), "-address", HOST, "-port", str(PORTS["epmd"])], env)
    wait_for("epmd", lambda: port_open(PORTS["epmd"]), 20, "epmd", procs=["epmd"])
    start("rabbitmq", drop + ["/usr/lib/rabbitmq/bin/rabbitmq-server"], env)


def wait_rabbitmq() -> None:
    def amqp_ok() -> bool:
        with socket.create_connection((HOST, PORTS["rabbitmq"]), timeout=2) as s:
            s.sendall(b"AMQP\x00\x00\x09\x01")
            return s.recv(8)[:1] == b"\x01"  # connection.start frame
    wait_for("RabbitMQ", amqp_ok, 90, "rabbitmq", procs=["rabbitmq"], interval=0.5)


# --------------------------------------------------------------------------------------------
# OpenStack services

def b(name: str) -> str:
    return str(BIN / name)


def uwsgi(name: str, confdir: str) -> None:
    start(name, [b("uwsgi"), "--ini", str(ETC / confdir / "uwsgi.ini")])


def nova_conf(compute_host: str | None = None) -> list[str]:
    """Nova's config files: the controllers', or a compute's (shared file + its host's)."""
    if compute_host is None:
        return ["--config-file", str(ETC / "nova" / "nova.conf")]
    return ["--config-file", str(ETC / "nova-compute" / "nova.conf"),
            "--config-file", str(ETC / "nova-compute" / f"{compute_host}.conf")]


def cinder_conf() -> list[str]:
    return ["--config-file", str(ETC / "cinder" / "cinder.conf")]


def neutron_conf() -> list[str]:
    return ["--config-file", str(ETC / "neutron" / "neutron.conf"),
            "--config-file", str(ETC / "neutron" / "plugins" / "ml2" / "ml2_conf.ini")]


def register_ovs_agent(host: str) -> None:
    """One live 'Open vSwitch agent' row for ``host`` so ML2/openvswitch binds ports (no data plane)."""
    conf = json.dumps({
        "bridge_mappings": {"public": "br-ex"}, "tunnel_types": ["vxlan"], "tunneling_ip": HOST,
        "integration_bridge": "br-int", "datapath_type": "system", "ovs_hybrid_plug": False,
        "enable_distributed_routing": False, "l2_population": False, "arp_responder_enabled": False,
        "devices": 0, "ovs_capabilities": {"datapath_types": ["system"], "iface_types": ["internal", "vxlan"]},
        "extensions": [], "log_agent_heartbeats": False,
    })
    mysql(
        "INSERT INTO neutron.agents (id, agent_type, `binary`, topic, host, admin_state_up, created_at, "
        "started_at, heartbeat_timestamp, description, configurations, `load`, availability_zone, "
        "resource_versions, resources_synced) VALUES (UUID(), 'Open vSwitch agent', "
        "'neutron-openvswitch-agent', 'N/A', '{host}', 1, UTC_TIMESTAMP(), UTC_TIMESTAMP(), UTC_TIMESTAMP(), "
        "'registered by ec2api tests/cloud (no data plane)', '{conf}', 0, NULL, NULL, NULL) "
        "ON DUPLICATE KEY UPDATE heartbeat_timestamp = UTC_TIMESTAMP(), started_at = UTC_TIMESTAMP(), "
        "admin_state_up = 1, configurations = VALUES(configurations)".format(
            host=host, conf=conf.replace("'", "''")))


def sync_keystone(first: bool) -> None:
    env = {"OS_KEYSTONE_CONFIG_DIR": str(ETC / "keystone")}
    kconf = ["--config-file", str(ETC / "keystone" / "keystone.conf")]
    if first:
        km = [b("keystone-manage")] + kconf
        owner = ["--keystone-user", "root", "--keystone-group", "root"]
        # The key repositories do not need the database: set them up while the schema syncs.
        parallel({
            "db_sync": lambda: run("keystone-manage", km + ["db_sync"], env),
            "fernet": lambda: run("keystone-manage-fernet", km + ["fernet_setup"] + owner, env),
            "credential": lambda: run("keystone-manage-credential", km + ["credential_setup"] + owner, env),
        })
        run("keystone-manage", km + [
            "bootstrap", "--bootstrap-password", USERS["admin"][0], "--bootstrap-username", "admin",
            "--bootstrap-project-name", "admin", "--bootstrap-role-name", "admin",
            "--bootstrap-service-name", "keystone", "--bootstrap-region-id", REGION,
            "--bootstrap-admin-url", KEYSTONE_URL, "--bootstrap-public-url", KEYSTONE_URL,
            "--bootstrap-internal-url", KEYSTONE_URL], env)
    uwsgi("keystone", "keystone")


def sync_placement(first: bool) -> None:
    if first:
        run("placement-manage", [b("placement-manage"), "--config-file",
                                 str(ETC / "placement" / "placement.conf"), "db", "sync"])
    uwsgi("placement", "placement")


def sync_nova(first: bool) -> None:
    nm = [b("nova-manage")] + nova_conf()
    if first:
        run("nova-manage", nm + ["api_db", "sync"])
        parallel({
            "cell0": lambda: (run("nova-manage", nm + ["cell_v2", "map_cell0", "--database_connection",
                                                       db_url("nova_cell0")]),
                              run("nova-manage", nm + ["db", "sync"])),
            "cell1": lambda: run("nova-manage-cell1", nm + ["cell_v2", "create_cell", "--name", "cell1"],
                                 ok=(0, 2)),  # 2: exists
        })
    uwsgi("nova-api", "nova")


def sync_neutron(first: bool) -> None:
    if first:
        run("neutron-db-manage", [b("neutron-db-manage")] + neutron_conf() + ["upgrade", "heads"])
    for host in COMPUTE_HOSTS:
        register_ovs_agent(host)
    uwsgi("neutron", "neutron")


def sync_glance(first: bool) -> None:
    if first:
        run("glance-manage", [b("glance-manage"), "--config-file", str(ETC / "glance" / "glance-api.conf"),
                              "db_sync"])
    uwsgi("glance", "glance")


def sync_cinder(first: bool) -> None:
    if first:
        run("cinder-manage", [b("cinder-manage")] + cinder_conf() + ["db", "sync"])
    uwsgi("cinder-api", "cinder")


# The uWSGI-served APIs and their configuration directories (stop-api / start-api).
API_CONFDIRS = {"keystone": "keystone", "placement": "placement", "nova-api": "nova", "neutron": "neutron",
                "glance": "glance", "cinder-api": "cinder"}

# The processes `up` starts, in the order `down` stops them (reverse).
PROCESSES = ["mariadb", "memcached", "epmd", "rabbitmq", "keystone", "placement", "glance", "neutron", "cinder-api",
             "nova-api", "nova-conductor", "nova-scheduler", "cinder-scheduler", "cinder-volume",
             *COMPUTE_PROCESSES]


def parallel(jobs: dict) -> None:
    """Run callables in threads; raise the first error after all have finished."""
    errors: dict[str, BaseException] = {}

    def wrap(name, fn):
        try:
            fn()
        except BaseException as e:  # noqa: BLE001
            errors[name] = e

    threads = [threading.Thread(target=wrap, args=(n, f), name=n) for n, f in jobs.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        name, err = next(iter(errors.items()))
        msgs = "\n\n".join(f"[{n}] {e}" for n, e in errors.items())
        raise CloudError(msgs) from err


# --------------------------------------------------------------------------------------------
# provisioning (openstacksdk, from the cloud's venv)

def connect(user: str):
    import openstack

    pw, project, _ = USERS.get(user, (SERVICE_PASSWORD, "service", "admin"))
    return openstack.connect(auth_url=AUTH_URL, username=user, password=pw, project_name=project,
                             user_domain_name="Default", project_domain_name="Default",
                             region_name=REGION, identity_api_version="3", interface="public")


def provision_identity() -> dict:
    conn = connect("admin")
    idn = conn.identity

    def find_or_create(kind, name, **attrs):
        found = getattr(idn, f"find_{kind}")(name)
        return found or getattr(idn, f"create_{kind}")(name=name, **attrs)

    roles = {r: find_or_create("role", r) for r in ("admin", "member", "reader", "service")}
    default = idn.find_domain("default") or idn.get_domain("default")
    projects = {p: find_or_create("project", p, domain_id=default.id, description=f"ec2api test cloud: {p}")
                for p in ("admin", "service", "demo", "alt")}
    users = {}
    for name, (pw, project, role) in USERS.items():
        user = idn.find_user(name, domain_id=default.id)
        if not user:
            user = idn.create_user(name=name, password=pw, domain_id=default.id,
                                   default_project_id=projects[project].id)
        users[name] = user
        idn.assign_project_role_to_user(projects[project], user, roles[role])
    # ec2api reads EC2 credential secrets to verify signatures locally (no Keystone call per
    # request); on Keystone 30 the least privilege that may read other users' credentials is the
    # system-scoped reader role.
    idn.put(f"/system/users/{users['ec2api'].id}/roles/{roles['reader'].id}")
    for name in SERVICE_USERS:
        user = idn.find_user(name, domain_id=default.id) or idn.create_user(
            name=name, password=SERVICE_PASSWORD, domain_id=default.id, default_project_id=projects["service"].id)
        for role in ("admin", "service"):
            idn.assign_project_role_to_user(projects["service"], user, roles[role])

    region = idn.find_region(REGION) if hasattr(idn, "find_region") else None
    for svc_name, (types, url) in ENDPOINTS.items():
        for stype in types:
            existing = [s for s in idn.services() if s.type == stype]
            svc = existing[0] if existing else idn.create_service(name=svc_name if stype == types[0] else
                                                                 f"{svc_name}-{stype}", type=stype)
            have = {e.interface for e in idn.endpoints(service_id=svc.id)}
            for iface in ("public", "internal", "admin"):
                if iface not in have:
                    idn.create_endpoint(service_id=svc.id, interface=iface, url=url,
                                        region_id=region.id if region else REGION)

    # EC2 credentials (Keystone OS-EC2) for demo and alt, created by each user for its project.
    creds = {}
    for name in ("demo", "alt"):
        uconn = connect(name)
        uid = users[name].id
        pid = projects[USERS[name][1]].id
        r = uconn.identity.get(f"/users/{uid}/credentials/OS-EC2")
        existing = [c for c in r.json().get("credentials", []) if c.get("tenant_id") == pid]
        if existing:
            c = existing[0]
        else:
            r = uconn.identity.post(f"/users/{uid}/credentials/OS-EC2", json={"tenant_id": pid})
            if r.status_code not in (200, 201):
                raise CloudError(f"creating EC2 credentials for {name}: {r.status_code} {r.text}")
            c = r.json()["credential"]
        creds[name] = {"access": c["access"], "secret": c["secret"], "project_id": pid,
                       "user_id": uid, "project_name": USERS[name][1], "username": name}
    return {"ec2": creds, "projects": {k: v.id for k, v in projects.items()},
            "users": {k: v.id for k, v in users.items()}}


def provision_network(projects: dict) -> dict:
    admin = connect("admin")
    net = admin.network
    public = net.find_network("public")
    if not public:
        public = net.create_network(name="public", is_router_external=True, provider_network_type="flat",
                                    provider_physical_network="public", project_id=projects["admin"])
    if not list(net.subnets(network_id=public.id)):
        net.create_subnet(name="public-subnet", network_id=public.id, ip_version=4, cidr=PUBLIC_CIDR,
                          gateway_ip=PUBLIC_GW, is_dhcp_enabled=False,
                          allocation_pools=[{"start": PUBLIC_POOL[0], "end": PUBLIC_POOL[1]}])
    out = {"public_network_id": public.id}
    for name in ("demo", "alt"):
        conn = connect(name)
        n = conn.network
        pid = projects[name]
        private = n.find_network("private", project_id=pid)
        if not private:
            private = n.create_network(name="private")
        subnets = list(n.subnets(network_id=private.id))
        subnet = subnets[0] if subnets else n.create_subnet(
            name="private-subnet", network_id=private.id, ip_version=4, cidr=PRIVATE_CIDR,
            is_dhcp_enabled=True)
        router = n.find_router("router1", project_id=pid)
        if not router:
            router = n.create_router(name="router1", external_gateway_info={"network_id": public.id})
            n.add_interface_to_router(router, subnet_id=subnet.id)
        out[name] = {"network_id": private.id, "subnet_id": subnet.id, "router_id": router.id}
    return out


def provision_image() -> str:
    admin = connect("admin")
    img = admin.image.find_image(IMAGE_NAME)
    if img and img.status == "active":
        return img.id
    if img:
        admin.image.delete_image(img)
    path = DATA / "ec2api-test-image.raw"
    if not path.exists():
        # A 1 MiB raw disk of zeros: the fake virt driver never reads it.  (Glance's format
        # inspector rejects a raw image carrying an MBR signature, so there is none.)
        path.write_bytes(bytes(1024 * 1024))
    r = admin.image.post("/images", json={
        "name": IMAGE_NAME, "disk_format": "raw", "container_format": "bare", "visibility": "public",
        "os_distro": "cirros", "architecture": "x86_64", "description": "ec2api test cloud image (placeholder)"})
    if r.status_code != 201:
        raise CloudError(f"creating image: {r.status_code} {r.text}")
    image_id = r.json()["id"]
    with open(path, "rb") as f:
        r = admin.image.put(f"/images/{image_id}/file", data=f.read(),
                            headers={"Content-Type": "application/octet-stream"})
    if r.status_code not in (200, 204):
        raise CloudError(f"uploading image: {r.status_code} {r.text}")
    return image_id


def provision_compute() -> None:
    admin = connect("admin")
    have = {f.name for f in admin.compute.flavors(is_public=None)}
    for name, (vcpus, ram) in FLAVORS.items():
        if name not in have:
            admin.compute.create_flavor(name=name, vcpus=vcpus, ram=ram, disk=1, is_public=True)


# Cinder volume types named as EC2's, so that CreateVolume's VolumeType maps one to one (ec2api's
# `volume_types` setting maps other names). io1/io2 also get a multi-attach twin (Cinder attaches a
# volume to several servers only when its type says `multiattach <is> True`).
VOLUME_TYPES = ("gp2", "gp3", "io1", "io2", "st1", "sc1", "standard")
MULTIATTACH_VOLUME_TYPES = ("io1-multiattach", "io2-multiattach")


def provision_volume_types(conn=None) -> list[str]:
    """Create the EC2-named Cinder volume types that are missing (idempotent); the names made."""
    admin = conn or connect("admin")
    storage = admin.block_storage
    have = {t.name for t in storage.types(is_public=None)}
    made = []
    for name in (*VOLUME_TYPES, *MULTIATTACH_VOLUME_TYPES):
        if name in have:
            continue
        specs = {"volume_backend_name": "file"}
        if name in MULTIATTACH_VOLUME_TYPES:
            specs["multiattach"] = "<is> True"
        storage.create_type(name=name, description=f"EC2 volume type {name.split('-')[0]}",
                            extra_specs=specs, is_public=True)
        made.append(name)
    return made


def provision_quotas(projects: dict) -> None:
    """Config defaults are already high; set them explicitly for demo and alt too (visible in the APIs)."""
    admin = connect("admin")
    for name in ("demo", "alt"):
        pid = projects[name]
        admin.set_compute_quotas(pid, instances=10000, cores=100000, ram=100000000, key_pairs=10000)
        admin.network.update_quota(pid, networks=1000, subnets=1000, ports=50000, routers=1000,
                                   floating_ips=10000, security_groups=10000, security_group_rules=100000)
        admin.set_volume_quotas(pid, volumes=10000, snapshots=10000, gigabytes=10000000)


# --------------------------------------------------------------------------------------------
# readiness

def wait_apis() -> None:
    checks = {
        "keystone": f"{KEYSTONE_URL}/v3",
        "placement": f"http://{HOST}:{PORTS['placement']}/",
        "nova-api": f"http://{HOST}:{PORTS['nova-api']}/",
        "neutron": f"http://{HOST}:{PORTS['neutron']}/",
        "glance": f"http://{HOST}:{PORTS['glance']}/versions",
        "cinder-api": f"http://{HOST}:{PORTS['cinder-api']}/",
    }

    def one(name, url):
        wait_for(f"{name} API at {url}", lambda: (http_status(url) or 500) < 500, 180, name, procs=[name])

    parallel({n: (lambda n=n, u=u: one(n, u)) for n, u in checks.items()})


def fresh(updated_at: str | None, since: float) -> bool:
    """A service heartbeat written after `since` (epoch seconds): not one left over from the last run."""
    import datetime

    if not updated_at:
        return False
    t = datetime.datetime.fromisoformat(updated_at.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.UTC)
    return t.timestamp() >= since - 1


def wait_compute_ready(since: float) -> None:
    admin = connect("admin")
    hosts = set(COMPUTE_HOSTS)
    n = len(hosts)

    def computes_up():
        svcs = [s for s in admin.compute.services() if s.binary == "nova-compute" and s.host in hosts]
        return len(svcs) == n and all(s.state == "up" and s.status == "enabled" and fresh(s.updated_at, since)
                                      for s in svcs)

    wait_for(f"{n} nova-compute services up", computes_up, 120, "nova-compute",
             procs=[*COMPUTE_PROCESSES, "nova-conductor"], interval=0.5)
    log(f"{n} nova-compute services up ok")

    listed = ", ".join(f"'{h}'" for h in sorted(hosts))

    def discovered():
        out = mysql(f"SELECT COUNT(*) FROM nova_api.host_mappings WHERE host IN ({listed})")
        return out.strip() == str(n)

    if not discovered():
        # The scheduler's periodic discovery would get there too, but only after its first interval.
        run("nova-manage-discover", [b("nova-manage")] + nova_conf() + ["cell_v2", "discover_hosts"])
    wait_for("compute hosts discovered in cell1", discovered, 120,
             "nova-scheduler", procs=["nova-scheduler"], interval=0.5)
    log("compute hosts discovered in cell1 ok")

    def in_placement():
        for host in hosts:
            r = admin.placement.get("/resource_providers", params={"name": host})
            rps = r.json().get("resource_providers", [])
            if not rps:
                return False
            inv = admin.placement.get(f"/resource_providers/{rps[0]['uuid']}/inventories").json()
            if "VCPU" not in inv.get("inventories", {}):
                return False
        return True

    wait_for("compute node inventories in placement", in_placement, 120, "nova-compute",
             procs=COMPUTE_PROCESSES, interval=0.5)
    log("compute node inventories in placement ok")

    def agents_alive():
        agents = [a for a in admin.network.agents(agent_type="Open vSwitch agent") if a.host in hosts]
        return len(agents) == n and all(a.is_alive for a in agents)

    wait_for("neutron OVS agent rows alive", agents_alive, 30, "neutron")
    log("neutron OVS agent rows alive ok")

    def volume_up():
        r = admin.block_storage.get("/os-services")
        return any(s["binary"] == "cinder-volume" and s["state"] == "up" and fresh(s.get("updated_at"), since)
                   for s in r.json()["services"])

    wait_for("cinder-volume up", volume_up, 120, "cinder-volume",
             procs=["cinder-volume", "cinder-scheduler"], interval=0.5)
    log('cinder-volume up' + " ok")


# --------------------------------------------------------------------------------------------
# files for tests and people

def write_outputs(info: dict) -> None:
    def cloud(user, project):
        return {"auth": {"auth_url": AUTH_URL, "username": user, "password": USERS[user][0],
                         "project_name": project, "user_domain_name": "Default",
                         "project_domain_name": "Default"},
                "region_name": REGION, "identity_api_version": 3, "interface": "public"}

    clouds = {"admin": cloud("admin", "admin"), "demo": cloud("demo", "demo"), "alt": cloud("alt", "alt"),
              "ec2api": cloud("ec2api", "service")}
    # JSON is valid YAML; no YAML library needed to write it.
    write(STATE / "clouds.yaml", json.dumps({"clouds": clouds}, indent=2) + "\n")

    ec2 = info["ec2"]
    write(STATE / "aws-credentials", "".join(
        f"[{p}]\naws_access_key_id = {ec2[p]['access']}\naws_secret_access_key = {ec2[p]['secret']}\n\n"
        for p in ("demo", "alt")))
    write(STATE / "aws-config", "".join(
        f"[profile {p}]\nregion = {REGION}\nendpoint_url = http://127.0.0.1:8788\noutput = json\n\n"
        for p in ("demo", "alt")))

    pw, project, _ = USERS["ec2api"]
    data = {
        "state_dir": str(STATE),
        "auth_url": AUTH_URL,
        "keystone_url": KEYSTONE_URL,
        "region": REGION,
        "compute_host": COMPUTE_HOST,
        "compute_hosts": COMPUTE_HOSTS,
        "ec2api_service_user": {"username": "ec2api", "password": pw, "project_name": project,
                                "user_domain_name": "Default", "project_domain_name": "Default",
                                "roles": ["service"]},
        "admin": {"username": "admin", "password": USERS["admin"][0], "project_name": "admin",
                  "user_domain_name": "Default", "project_domain_name": "Default"},
        "ec2_credentials": ec2,
        "projects": info["projects"],
        "networks": info.get("networks", {}),
        "image": {"name": IMAGE_NAME, "id": info.get("image_id")},
        "flavors": {k: {"vcpus": v[0], "ram": v[1]} for k, v in FLAVORS.items()},
        "endpoints": {"identity": KEYSTONE_URL, **{t[0]: u for _, (t, u) in ENDPOINTS.items()}},
        "database": {
            "host": HOST, "port": PORTS["mariadb"], "socket": str(DATA / "mysql" / "mysqld.sock"),
            "ec2api": {"database": EC2API_DB, "user": EC2API_DB_USER, "password": EC2API_DB_PASSWORD,
                       "url": f"mysql+pymysql://{EC2API_DB_USER}:{EC2API_DB_PASSWORD}@{HOST}:"
                              f"{PORTS['mariadb']}/{EC2API_DB}?charset=utf8mb4",
                       "grants": "ALL on `ec2api%`.*"},
        },
        "rabbitmq": {"url": TRANSPORT},
        "files": {"clouds_yaml": str(STATE / "clouds.yaml"), "aws_credentials": str(STATE / "aws-credentials"),
                  "aws_config": str(STATE / "aws-config"), "logs": str(LOGS)},
        "ec2api_endpoint": "http://127.0.0.1:8788",
    }
    write(STATE / "cloud.json", json.dumps(data, indent=2) + "\n")


# --------------------------------------------------------------------------------------------
# commands

def healthy() -> bool:
    return ((STATE / "ready").exists() and all(running(p) for p in PROCESSES)
            and http_status(f"{KEYSTONE_URL}/v3", timeout=1) == 200)


def cmd_up() -> int:
    if healthy():
        log(f"already running ({STATE})")
        return 0
    if any(running(p) for p in PROCESSES):
        log("partially running: stopping what is left, then starting again")
        cmd_down(quiet=True)
    (STATE / "ready").unlink(missing_ok=True)
    first = not (STATE / "synced").exists()
    started = time.time()
    info_path = STATE / "provisioned.json"
    log(f"{'first' if first else 'warm'} start in {STATE}")
    write_configs()
    if PORT_OFFSET:
        _OFFSET_FILE.write_text(f"{PORT_OFFSET}\n")
    else:
        _OFFSET_FILE.unlink(missing_ok=True)
    rabbit_ready = threading.Event()
    identity_ready = threading.Event()
    abort = threading.Event()
    info: dict = json.loads(info_path.read_text()) if info_path.exists() else {}

    def gate(event: threading.Event) -> None:
        event.wait()
        if abort.is_set():
            raise CloudError("aborted: another start step failed")

    def rabbit():
        try:
            wait_rabbitmq()
        except BaseException:
            abort.set()
            raise
        finally:
            rabbit_ready.set()
        log("RabbitMQ ready")

    def keystone_chain():
        try:
            sync_keystone(first)
            wait_for("keystone API", lambda: http_status(f"{KEYSTONE_URL}/v3") == 200, 120, "keystone",
                     procs=["keystone"])
            log("Keystone ready")
            if "ec2" not in info:
                info.update(provision_identity())
                log("identity provisioned (projects, users, roles, endpoints, EC2 credentials)")
        except BaseException:
            abort.set()
            raise
        finally:
            identity_ready.set()

    def nova_daemons():
        sync_nova(first)
        gate(rabbit_ready)
        gate(identity_ready)  # nova's daemons check their service credentials when they start
        conductor_log = LOGS / "nova-conductor.log"
        offset = conductor_log.stat().st_size if conductor_log.exists() else 0
        start("nova-conductor", [b("nova-conductor")] + nova_conf())
        start("nova-scheduler", [b("nova-scheduler")] + nova_conf())

        def conductor_listening():
            with open(conductor_log, "rb") as f:
                f.seek(offset)
                return b"Starting conductor node" in f.read()

        # nova-compute pings the conductor once at start and, with no answer, waits 10 s to retry.
        wait_for("nova-conductor", conductor_listening, 120, "nova-conductor", procs=["nova-conductor"])
        for host in COMPUTE_HOSTS:
            # nova_compute.py is nova-compute with the test cloud's compute driver importable.
            start(compute_process(host), [b("python"), str(DRIVERS / "nova_compute.py")] + nova_conf(host))

    def cinder_daemons():
        sync_cinder(first)
        gate(rabbit_ready)
        start("cinder-scheduler", [b("cinder-scheduler")] + cinder_conf())
        start("cinder-volume", [b("cinder-volume")] + cinder_conf(), {"PYTHONPATH": str(DRIVERS)})

    try:
        start_mariadb()
        start_memcached()
        start_rabbitmq()
        wait_mariadb()
        wait_for("memcached", lambda: port_open(PORTS["memcached"]), 20, "memcached", procs=["memcached"])
        if first:
            create_databases()
        log("MariaDB ready" + ("; running the six schema syncs in parallel" if first else ""))
        parallel({
            "rabbitmq": rabbit,
            "keystone": keystone_chain,
            "placement": lambda: sync_placement(first),
            "nova": nova_daemons,
            "neutron": lambda: sync_neutron(first),
            "glance": lambda: sync_glance(first),
            "cinder": cinder_daemons,
        })
        (STATE / "synced").write_text(time.strftime("%F %T\n"))
        log("all processes started")
        wait_apis()
        log("APIs answer")
        if not info_path.exists():
            log("provisioning networks, image, flavors, quotas")
            parallel({
                "network": lambda: info.__setitem__("networks", provision_network(info["projects"])),
                "image": lambda: info.__setitem__("image_id", provision_image()),
                "flavors": provision_compute,
                "quotas": lambda: provision_quotas(info["projects"]),
            })
            info_path.write_text(json.dumps(info, indent=2))
        # Every start (not only the first): a cloud made before the types existed gets them.
        provision_volume_types()
        wait_compute_ready(started)
        write_outputs(info)
        (STATE / "ready").write_text(time.strftime("%F %T\n"))
    except BaseException as e:
        abort.set()
        rabbit_ready.set()
        identity_ready.set()
        print(f"\ncloud up FAILED: {e}\n\nlogs: {LOGS}\nstopping what was started", file=sys.stderr, flush=True)
        cmd_down(quiet=True)
        return 1
    log(f"ready: keystone {AUTH_URL}, region {REGION}; clouds.yaml, cloud.json, aws-* in {STATE}")
    return 0


def cmd_down(quiet: bool = False) -> int:
    (STATE / "ready").unlink(missing_ok=True)
    infra = ["rabbitmq", "epmd", "memcached", "mariadb"]
    services = [p for p in PROCESSES if p not in infra]
    stopped = [p for p in PROCESSES if read_pid(p) is not None]
    # The OpenStack processes all at once, then what they depended on, in order.
    parallel({name: (lambda n=name: stop(n, timeout=15)) for name in services if read_pid(name) is not None})
    for name in infra:
        if read_pid(name) is not None:
            stop(name, timeout=60)
    if not quiet:
        log(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")
    busy = [f"{n}:{p}" for n, p in PORTS.items() if port_open(p)]
    if busy and not quiet:
        log(f"WARNING: ports still in use (by processes this script did not start?): {', '.join(busy)}")
    return 0


def cmd_reset() -> int:
    cmd_down()
    for sub in ("etc", "logs", "run", "data"):
        shutil.rmtree(STATE / sub, ignore_errors=True)
    for f in ("ready", "synced", "provisioned.json", "cloud.json", "clouds.yaml", "aws-credentials",
              "aws-config"):
        (STATE / f).unlink(missing_ok=True)
    log(f"state wiped (venv kept at {VENV})")
    return 0


def group_members(pgid: int) -> list[int]:
    pids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if int((p / "stat").read_text().rsplit(") ", 1)[1].split()[2]) == pgid:
                    pids.append(int(p.name))
            except (OSError, IndexError, ValueError):
                pass
    return pids


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cmd_status() -> int:
    ok = True
    total_kib = total_procs = 0
    for name in PROCESSES:
        pid = read_pid(name)
        up = running(name)
        state = "running" if up else ("dead" if pid else "stopped")
        ok = ok and up
        mem = ""
        if up:
            members = group_members(pid)
            kib = sum(pss_kib(m) for m in members)
            total_kib += kib
            total_procs += len(members)
            mem = f"{len(members):3d} procs {kib / 1024:7.1f} MiB PSS"
        print(f"{name:18} {state:8} {pid or '':>7}  {mem}")
    print(f"total: {total_procs} processes, {total_kib / 1024 / 1024:.2f} GiB PSS")
    print(f"ready marker: {(STATE / 'ready').exists()}; keystone: {http_status(KEYSTONE_URL + '/v3', 1)}")
    return 0 if ok and healthy() else 3


def main(argv: list[str]) -> int:
    cmd = argv[1] if len(argv) > 1 else "status"
    try:
        if cmd == "up":
            return cmd_up()
        if cmd == "down":
            return cmd_down()
        if cmd == "reset":
            return cmd_reset()
        if cmd == "status":
            return cmd_status()
        if cmd == "check":  # quiet health check: exit 0 when up and ready
            return 0 if healthy() else 3
        if cmd in ("stop-api", "start-api") and len(argv) > 2 and argv[2] in API_CONFDIRS:
            # For fault-injection tests: take one API service away and bring it back.
            name = argv[2]
            if cmd == "stop-api":
                stop(name, timeout=15)
            elif not running(name):
                uwsgi(name, API_CONFDIRS[name])
            return 0
    except CloudError as e:
        print(f"cloud {cmd} FAILED: {e}", file=sys.stderr)
        return 1
    print(f"usage: cloud.sh up|down|reset|status|stop-api NAME|start-api NAME (got {cmd!r})", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
