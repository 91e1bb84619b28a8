"""What the instance operations share: Nova servers joined with what Neutron, Cinder and ec2api's
database know of them (a fixed number of calls, however many instances), and the caller's ids resolved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ec2api_runtime import parallel, tagged_json
from ec2api_runtime.db import ids, tags
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.timeutil import parse_os_time
from handlers import _bulk as bulk
from handlers import _glance as glance
from handlers import _groups as security_groups
from handlers import _instance_view as view
from handlers import _lifecycle as lifecycle
from handlers.instances._nova_query import microversion_for

KIND = "i"


# What Neutron adds to servers: the project's ports, {port: floating IP}, {group id: name}.
Neutron = tuple[list[bulk.Port], dict[str, str], dict[str, str]]


def _neutron_listings(ctx: Any) -> list[Any]:
    bulk.prepare(ctx, "network")
    return [lambda: bulk.ports(ctx), lambda: bulk.floating_ips(ctx), lambda: bulk.security_group_names(ctx)]


def _neutron_all(ctx: Any) -> Neutron:
    """What Neutron knows of the whole project: three listings, fetched at the same time."""
    ports, floating, group_names = parallel.gather(*_neutron_listings(ctx))
    return ports, floating, group_names


def _servers_and_neutron(ctx: Any) -> tuple[list[bulk.Server], Neutron]:
    """Every server and what Neutron knows of them: four listings, fetched at the same time."""
    bulk.prepare(ctx, "compute")
    servers, *neutron = parallel.gather(lambda: bulk.servers(ctx), *_neutron_listings(ctx))
    return servers, tuple(neutron)


def _neutron_of(ctx: Any, server_ids: list[str]) -> Neutron:
    """What Neutron knows of these servers only: their ports, then (at the same time) their
    floating IPs and the names of their groups. Three calls, whatever the project's size."""
    bulk.prepare(ctx, "network")
    ports = bulk.ports(ctx, device_ids=server_ids)
    group_ids = {g for p in ports for g in p.security_group_ids}
    floating, group_names = parallel.gather(lambda: bulk.floating_ips(ctx, port_ids=[p.id for p in ports]),
                                            lambda: bulk.security_group_names(ctx, group_ids))
    return ports, floating, group_names


def lookups_for(ctx: Any, servers: list[Any], neutron: Neutron | None = None,
                data_ids: list[str] | None = None, targeted: bool | None = None) -> view.Lookups:
    """Join everything DescribeInstances shows: a fixed number of OpenStack calls and queries.

    ``neutron`` is listed here unless the caller fetched it with the servers. ``data_ids``: the
    request names its instances, so Neutron, Cinder and the database are asked about those only
    (cost follows the result); otherwise the project's listings are used. ``targeted`` (default:
    whether ``data_ids`` is given) asks Neutron and Cinder about ``servers`` only, whatever the
    database is asked: a listing Nova narrowed still reads every instance's stored data.
    """
    server_ids = [srv.id for srv in servers]
    wanted = set(server_ids)
    by_ids = data_ids is not None if targeted is None else targeted
    ports: list[bulk.Port] = []
    floating: dict[str, str] = {}
    group_names: dict[str, str] = {}
    volumes: list[Any] = []
    if servers:
        if neutron is None:
            neutron = _neutron_of(ctx, server_ids) if by_ids else _neutron_all(ctx)
        ports, floating, group_names = neutron
        ports = [p for p in ports if p.device_id in wanted]
        attached = [v["id"] for srv in servers for v in srv.attached_volumes if isinstance(v, dict) and v.get("id")]
        if attached and by_ids:
            storage = ctx.os.block_storage   # built in this thread, not in the pool's
            volumes = [v for v in parallel.gather(*[lambda vid=vid: bulk.volume(storage, vid) for vid in attached])
                       if v is not None]
        elif attached:
            volumes = list(ctx.os.block_storage.volumes(details=True))
    flavor_names = {}
    if any(isinstance(srv.flavor, dict) and "original_name" not in srv.flavor for srv in servers):
        flavor_names = {f.id: f.name for f in ctx.os.compute.flavors()}
    image_glance_ids = {i for srv in servers if isinstance(srv.image, dict) and (i := srv.image.get("id"))}
    networks_ids = {p.network_id for p in ports if p.network_id}
    subnets = {ip["subnet_id"] for p in ports for ip in p.fixed_ips or []}
    owner_id = ctx.account_id   # before the session below: it opens its own
    with ctx.session() as s:
        instance_ids = ids.ec2_ids(s, ctx.project_id, KIND, server_ids)
        if data_ids is not None:
            data = ids.get_data_many(s, ctx.project_id, [*data_ids, *instance_ids.values()])
        else:
            data = {ec2_id: d for ec2_id, (_, d) in ids.items_with_data(s, ctx.project_id, KIND).items()}
        reservations = {srv.id: data.get(instance_ids[srv.id], {}).get("reservation") or srv.reservation_id
                        or srv.id for srv in servers}
        reservation_ids = ids.ec2_ids(s, ctx.project_id, "r", set(reservations.values()))
        group_ec2_ids = ids.ec2_ids(s, ctx.project_id, "sg", list(group_names))
        lookups = view.Lookups(
            region=ctx.region,
            owner_id=owner_id,
            instance_ids=instance_ids,
            reservation_ids={sid: reservation_ids[r] for sid, r in reservations.items()},
            image_ids=glance.image_ids(s, image_glance_ids),
            data=data,
            tags=tags.tags_for(s, ctx.project_id, list(instance_ids.values()) + list(data)),
            ports_by_server={},
            floating_by_port=floating,
            group_names=security_groups.shown_names(s, ctx.project_id, group_names, group_ec2_ids),
            group_ids=group_ec2_ids,
            vpc_ids=ids.ec2_ids(s, ctx.project_id, "vpc", networks_ids),
            subnet_ids=ids.ec2_ids(s, ctx.project_id, "subnet", subnets),
            eni_ids=ids.ec2_ids(s, ctx.project_id, "eni", [p.id for p in ports]),
            volume_ids=ids.ec2_ids(s, ctx.project_id, "vol", [v.id for v in volumes]),
            flavor_names=flavor_names,
        )
        lookups.eni_data = eni_data(s, ctx.project_id, lookups.eni_ids)
    for port in ports:
        lookups.ports_by_server.setdefault(port.device_id, []).append(port)
    kept = kept_devices(ctx, lookups.volume_ids)
    for volume in volumes:
        for attachment in volume.attachments or []:
            key = (attachment.get("server_id"), volume.id)
            lookups.attachments[key] = {**attachment, "device": kept.get(key) or attachment.get("device")}
    return lookups


def eni_data(s: Any, project_id: str, eni_ids: dict[str, str]) -> dict[str, dict]:
    """``{port id: item data}`` of the ports' ENIs (device index, DeleteOnTermination): one query."""
    data = ids.get_data_many(s, project_id, eni_ids.values())
    return {port_id: data.get(eni_id, {}) for port_id, eni_id in eni_ids.items()}


def kept_devices(ctx: Any, volume_ids: dict[str, str]) -> dict[tuple[str, str], str]:
    """``{(server id, volume id): device}`` AttachVolume was asked for (handlers.volumes.attach keeps
    it with the volume's id: Nova names the guest's device itself). One query."""
    if not volume_ids:
        return {}
    with ctx.session() as s:
        data = ids.get_data_many(s, ctx.project_id, volume_ids.values())
    by_ec2 = {ec2: os_id for os_id, ec2 in volume_ids.items()}
    return {(server, by_ec2[vol]): device for vol, d in data.items() if vol in by_ec2
            for server, device in (d.get("devices") or {}).items()}


def _visible_terminated(ctx: Any, lookups: view.Lookups, live: set[str]) -> list[tuple[str, dict]]:
    """``(reservation id, instance)`` for instances terminated recently enough to still be shown."""
    horizon = datetime.now(UTC) - timedelta(seconds=ctx.config.terminated_visible_seconds)
    out = []
    for instance_id, data in lookups.data.items():
        snapshot = data.get("terminated")
        if not snapshot or instance_id in live:
            continue
        when = parse_os_time(data.get("terminated_at"))
        if when is None or when < horizon:
            continue
        instance = view.terminated_view(tagged_json.decode(snapshot), when)
        instance["Tags"] = lookups.tags.get(instance_id, [])
        out.append((data.get("reservation_ec2_id", ""), instance))
    return out


def resolve(ctx: Any, instance_ids: list[str]) -> dict[str, str]:
    """``{i-...: server id}``; Malformed / NotFound errors as AWS gives them, before anything acts."""
    ids.require_well_formed(KIND, instance_ids)
    with ctx.session() as s:
        known = ids.os_ids(s, ctx.project_id, instance_ids)
    missing = [i for i in instance_ids if i not in known]
    if missing:
        raise EC2Error("InvalidInstanceID.NotFound",
                       f"The instance ID{'s' if len(missing) > 1 else ''} '{', '.join(missing)}' do"
                       f"{'' if len(missing) > 1 else 'es'} not exist")
    return known


def live_servers(ctx: Any, wanted: dict[str, str]) -> dict[str, Any]:
    """``{i-...: server}`` for the wanted instances that still exist in Nova (one GET each, at once)."""
    bulk.prepare(ctx, "compute")
    by_id = {srv.id: srv for srv in bulk.servers_by_id(ctx, wanted.values())}
    return {iid: by_id[sid] for iid, sid in wanted.items() if sid in by_id}


def stored_data(ctx: Any, instance_ids: list[str]) -> dict[str, dict]:
    with ctx.session() as s:
        return ids.get_data_many(s, ctx.project_id, instance_ids)


def update_data(ctx: Any, instance_id: str, **changes: Any) -> None:
    with ctx.session() as s:
        data = ids.get_data_many(s, ctx.project_id, [instance_id]).get(instance_id, {})
        data.update(changes)
        ids.set_data(s, ctx.project_id, instance_id, data)


def all_instances(ctx: Any, instance_ids: list[str] | None = None, nova_query: dict[str, Any] | None = None,
                  live_can_match: bool = True) -> list[tuple[str, dict]]:
    """``(reservation id, instance)`` for every instance the caller can see, live and recently
    terminated; or for ``instance_ids`` only, fetched by id (cost follows the result).

    ``nova_query`` (without ids): Nova lists only the servers matching it, and Neutron and Cinder
    are asked about those (``_nova_query``). ``live_can_match`` false: no live server can match, so
    Nova is not asked; only the database's recently terminated instances are read.
    """
    pushed = not instance_ids and (bool(nova_query) or not live_can_match)
    if instance_ids:
        with ctx.session() as s:
            known = ids.os_ids(s, ctx.project_id, instance_ids)
        bulk.prepare(ctx, "compute")
        servers = bulk.servers_by_id(ctx, known.values())
        lookups = lookups_for(ctx, servers, data_ids=list(known))
    elif pushed:
        bulk.prepare(ctx, "compute")
        query = nova_query or {}
        microversion = microversion_for(query, bulk.COMPUTE_MICROVERSION)
        servers = bulk.servers(ctx, microversion, **query) if live_can_match else []
        lookups = lookups_for(ctx, servers, targeted=True)
    else:
        servers, neutron = _servers_and_neutron(ctx)
        lookups = lookups_for(ctx, servers, neutron)
    _apply_pending_volume_tags(ctx, servers, lookups)
    live = [(lookups.reservation_ids[srv.id], view.describe(srv, lookups)) for srv in servers]
    live_ids = {i["InstanceId"] for _, i in live}
    if not instance_ids and not pushed:   # only a whole listing knows what is gone
        lifecycle.forget(ctx, [i for i in lifecycle.expired(lookups.data, ctx.config.terminated_visible_seconds)
                               if i not in live_ids])
    return live + _visible_terminated(ctx, lookups, live_ids)


def _apply_pending_volume_tags(ctx: Any, servers: list[Any], lookups: view.Lookups) -> None:
    """Tag the volumes RunInstances asked to tag once Nova has created and attached them."""
    # Nova attaches a launch's volumes one after another: tag them once all are there.
    pending = {srv.id: lookups.data[lookups.instance_ids[srv.id]]["volume_tags"] for srv in servers
               if lookups.data.get(lookups.instance_ids[srv.id], {}).get("volume_tags") and srv.attached_volumes
               and len(srv.attached_volumes) >= lookups.data[lookups.instance_ids[srv.id]].get("volume_count", 1)}
    if not pending:
        return
    with ctx.session() as s:
        for server_id, volume_tags in pending.items():
            srv = next(x for x in servers if x.id == server_id)
            vol_ids = [ids.ec2_id(s, ctx.project_id, "vol", v["id"]) for v in srv.attached_volumes]
            tags.set_tags(s, ctx.project_id, vol_ids, volume_tags)
            instance_id = lookups.instance_ids[server_id]
            data = dict(lookups.data[instance_id])
            data.pop("volume_tags")
            ids.set_data(s, ctx.project_id, instance_id, data)
            lookups.data[instance_id] = data


def one_instance(ctx: Any, instance_id: str) -> tuple[Any, dict, dict]:
    """(server, EC2 view, stored data) of one live instance of the caller."""
    wanted = resolve(ctx, [instance_id])
    live = live_servers(ctx, wanted)
    srv = live.get(instance_id)
    if srv is None:
        raise EC2Error("InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' does not exist")
    lookups = lookups_for(ctx, [srv], data_ids=[instance_id])
    return srv, view.describe(srv, lookups), lookups.data.get(instance_id, {})


def flavor_named(ctx: Any, instance_type: str) -> Any:
    flavor = ctx.os.compute.find_flavor(instance_type, ignore_missing=True)
    if flavor is None or flavor.name != instance_type:
        raise EC2Error("InvalidParameterValue", f"Invalid value '{instance_type}' for InstanceType.")
    return flavor


def security_group_ids(ctx: Any, group_ids: list[str], group_names: list[str]) -> list[str]:
    """Neutron security group ids for the requested ids and names (names of the caller's groups)."""
    ids.require_well_formed("sg", group_ids)
    with ctx.session() as s:
        known = ids.os_ids(s, ctx.project_id, group_ids)
    out = []
    for gid in group_ids:
        if gid not in known:
            raise EC2Error("InvalidGroup.NotFound", f"The security group '{gid}' does not exist")
        out.append(known[gid])
    if group_names:
        by_name = {g.name: g.id for g in ctx.os.network.security_groups(project_id=ctx.project_id)}
        for name in group_names:
            if name not in by_name:
                raise EC2Error("InvalidGroup.NotFound", f"The security group '{name}' does not exist in default VPC")
            out.append(by_name[name])
    return out
