#!/usr/bin/env bash
# The ec2api test cloud: a real, minimal OpenStack on 127.0.0.1 (see tests/cloud/README.md).
#   bash tests/cloud/cloud.sh up|down|reset|status|stop-api NAME|start-api NAME
# State lives in .cloud/ of the checkout, or in $EC2API_CLOUD_DIR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE="${EC2API_CLOUD_DIR:-$ROOT/.cloud}"
VENV="$STATE/venv"
PYTHON="${EC2API_CLOUD_PYTHON:-python3}"
CONSTRAINTS="$HERE/constraints.txt"
# What the venv holds: the OpenStack 2026.2 series, pinned exactly by constraints.txt.
PACKAGES=(keystone==30.0.0 nova==34.0.0 openstack-placement==16.0.0 neutron==29.0.0 glance==33.0.0
          cinder==29.0.0 uwsgi pymysql python-memcached python-openstackclient)
APT_PACKAGES=(mariadb-server mariadb-client rabbitmq-server memcached)

cmd="${1:-status}"

say() { echo "[cloud.sh] $*"; }

lock() {
    # One up/down/reset at a time (several test sessions may call `up` together).
    mkdir -p "$STATE"
    exec 9>"$STATE/.lock"
    if ! flock -n 9; then
        say "waiting for another cloud.sh $1 to finish ..."
        flock 9
    fi
}

ensure_apt() {
    local missing=()
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    command -v gcc >/dev/null || missing+=(gcc)   # uwsgi compiles from source
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    local SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # Debian's maintainer scripts may try to start the daemons; we start our own copies instead.
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >"${TMPDIR:-/tmp}/ec2api-cloud-apt.log" 2>&1 \
        || { tail -30 "${TMPDIR:-/tmp}/ec2api-cloud-apt.log"; exit 1; }
}

venv_stamp() {
    # The venv is rebuilt when the package list or the constraints change.
    { printf '%s\n' "${PACKAGES[@]}"; cat "$CONSTRAINTS"; } | sha256sum | cut -c1-16
}

ensure_venv() {
    local stamp; stamp="$(venv_stamp)"
    if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.ec2api-cloud-stamp" 2>/dev/null)" = "$stamp" ]; then
        return 0
    fi
    say "installing OpenStack into $VENV (first run: a few minutes)"
    local t0=$SECONDS
    "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "the test cloud needs Python >= 3.10")'
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    local cons=(-c "$CONSTRAINTS")
    [ -n "${EC2API_CLOUD_UNCONSTRAINED:-}" ] && cons=()
    {
        "$VENV/bin/python" -m pip install -q --upgrade pip setuptools wheel &&
        "$VENV/bin/python" -m pip install -q "${cons[@]}" "${PACKAGES[@]}"
    } 2> >(grep -v "^WARNING: Location .* is ignored" >&2)
    echo "$stamp" > "$VENV/.ec2api-cloud-stamp"
    say "OpenStack installed in $((SECONDS - t0)) s"
}

pick_python() {
    # down/status/reset need only the standard library.
    if [ -x "$VENV/bin/python" ]; then echo "$VENV/bin/python"; else echo "$PYTHON"; fi
}

case "$cmd" in
    up)
        mkdir -p "$STATE"
        # Fast path: already running and healthy.
        if [ -x "$VENV/bin/python" ] && [ -f "$STATE/ready" ] && \
           "$VENV/bin/python" "$HERE/cloud.py" check >/dev/null 2>&1; then
            say "already running ($STATE)"
            exit 0
        fi
        lock up
        ensure_apt
        ensure_venv
        exec "$VENV/bin/python" "$HERE/cloud.py" up
        ;;
    down|reset|status)
        [ -d "$STATE" ] || { say "no cloud state in $STATE"; [ "$cmd" = status ] && exit 3; exit 0; }
        [ "$cmd" = status ] || lock "$cmd"
        exec "$(pick_python)" "$HERE/cloud.py" "$cmd"
        ;;
    stop-api|start-api)
        # Fault injection for tests: stop or start one uWSGI-served API (keystone, nova-api, ...).
        lock "$cmd"
        exec "$(pick_python)" "$HERE/cloud.py" "$cmd" "${2:-}"
        ;;
    *)
        echo "usage: $0 up|down|reset|status|stop-api NAME|start-api NAME" >&2
        exit 2
        ;;
esac
