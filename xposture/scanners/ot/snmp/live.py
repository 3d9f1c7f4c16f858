"""Scan live agents: sweep credentials, discover engines, then read each answering agent once.

Per host, every community is tried at the same time (agents drop bad ones
silently, so a serial loop would cost one timeout each); hosts run
concurrently up to the configured limit and all requests share one rate
limiter. Records are yielded host by host as each finishes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xposture.model import Record
from xposture.scanners.base import ScanContext, Zone
from xposture.scanners.ot.active.ratelimit import RateLimiter
from xposture.scanners.ot.active.targets import Target
from xposture.scanners.ot.snmp import identity_mibs, mib
from xposture.scanners.ot.snmp.build import AGENT_IMPLEMENTERS, Origin, agent_records
from xposture.scanners.ot.snmp.client import Auth, Reply, SnmpClient, community, usm_user
from xposture.scanners.ot.snmp.discovery import Discovery, discover
from xposture.scanners.ot.snmp.engineid import parse_engine_id
from xposture.scanners.ot.snmp.enterprises import ENTERPRISES_ARC, number_from_oid
from xposture.scanners.ot.snmp.options import SnmpOptions
from xposture.scanners.ot.snmp.posture import AgentPosture, CommunityResult, V3UserResult, community_label, load_salt
from xposture.scanners.ot.snmp.walk import Value, Walk, oid_text

SCANNER = "snmp"
PROBE_OIDS = (mib.SYS_DESCR, mib.SYS_OBJECT_ID)
"""What a v1 sweep asks: objects every agent has (v1 fails the whole PDU on one missing object)."""
ACCEPTED_STATUSES = {"noSuchName", "genErr", "tooBig"}
"""Error answers that still prove the community was accepted (a rejected community gets no answer)."""


def probe_oids(version: str) -> tuple[tuple[int, ...], ...]:
    """The sweep reads the whole system group where the protocol allows missing objects (v2c, v3)."""
    return PROBE_OIDS if version == "v1" else mib.SYSTEM_SCALARS


def accepted(reply: Reply) -> bool:
    return (reply.ok and bool(reply.values)) or reply.status in ACCEPTED_STATUSES


WRITE_REFUSALS = {"notWritable", "noAccess", "readOnly", "noSuchName", "authorizationError", "badValue", "genErr"}


@dataclass(slots=True)
class Credential:
    """What the collection phase reads with: the best credential the agent accepted."""

    auth: Auth
    version: str
    label: str


class LiveScan:
    """One scan of live agents for one inventory entry."""

    def __init__(self, opts: SnmpOptions, ctx: ScanContext, site: str, client: SnmpClient | None = None) -> None:
        self.opts = opts
        self.ctx = ctx
        self.site = site
        self.limiter = RateLimiter(opts.rate_per_s)
        self.client = client or SnmpClient(
            limiter=self.limiter,
            audit=self._audit,
            timeout_s=opts.timeout_s,
            retries=opts.retries,
            window=opts.max_in_flight,
        )
        self.salt = load_salt(ctx.data_dir) if (opts.communities or opts.community_test) else b""
        self.discoveries: dict[tuple[str, int], Discovery] = {}

    def _label(self, name: str) -> tuple[str, bool]:
        return community_label(name, self.salt, self.opts.default_communities)

    def _audit(self, target: str, sent: str) -> None:
        self.ctx.audit(SCANNER, target, "snmp", sent)

    async def run(self, hosts: Sequence[Target]) -> AsyncIterator[Record]:
        """Scan ``hosts`` (already scope-checked) and yield records as each host finishes."""
        pairs = [(h.host, h.port or self.opts.port) for h in hosts]
        discovery_task: asyncio.Task[list[Discovery]] | None = None
        if self.opts.engine_discovery and "v3" in self.opts.versions and pairs:
            discovery_task = asyncio.ensure_future(
                discover(
                    pairs,
                    limiter=self.limiter,
                    audit=self._audit,
                    timeout_s=self.opts.timeout_s,
                    retries=self.opts.retries,
                )
            )
        gate = asyncio.Semaphore(self.opts.concurrency)
        tasks = [asyncio.ensure_future(self._guarded(gate, host, discovery_task)) for host in hosts]
        try:
            for finished in asyncio.as_completed(tasks):
                for record in await finished:
                    yield record
        finally:
            for task in tasks:
                task.cancel()
            self.client.close()
            if discovery_task is not None:
                discovery_task.cancel()

    async def _guarded(
        self, gate: asyncio.Semaphore, host: Target, discovery_task: asyncio.Task[list[Discovery]] | None
    ) -> list[Record]:
        async with gate:
            target = f"{host.host}:{host.port or self.opts.port}"
            if self.ctx.cancelled():
                self.ctx.report(SCANNER, target, "skipped", "scan cancelled or out of time", site=self.site)
                return []
            try:
                return await self._scan_host(host, discovery_task)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one hostile agent must not end the scan of the others
                self.ctx.report(SCANNER, target, "failed", f"{type(exc).__name__}: {str(exc)[:200]}", site=self.site)
                return []

    async def _scan_host(self, host: Target, discovery_task: asyncio.Task[list[Discovery]] | None) -> list[Record]:
        port = host.port or self.opts.port
        target = f"{host.host}:{port}"
        posture = AgentPosture(
            host.host, port, community_test=self.opts.community_test, write_test=self.opts.write_test
        )
        walk = Walk()
        credential = await self._sweep_communities(host.host, port, posture, walk)
        v3_credential = await self._try_v3_users(host.host, port, posture, walk)
        credential = credential or v3_credential
        if discovery_task is not None:
            await self._apply_discovery(host.host, port, posture, discovery_task)
        if credential is not None and self.opts.collect:  # collect: [] sweeps credentials only
            await self._collect(host.host, port, credential, walk, posture)
            if self.opts.write_test:
                await self._write_test(host.host, port, posture, walk)
        posture.requests = self.client.sent_to.get(target, 0)
        if credential is None and not posture.versions:
            tried = "no community or v3 user accepted and no reply to v3 engine discovery"
            self.ctx.report(SCANNER, target, "timeout", tried, site=self.site)
            return []
        origin = Origin(
            asset_id=f"ip:{self.site}/{host.host}" if self.site else f"ip:{host.host}",
            site=self.site,
            ip=host.host,
            target=target,
        )
        records = list(agent_records(walk, origin, posture))
        self._zone_fields(records[0], host.host)
        if credential is None:
            status, detail = "partial", "v3 engine discovered; no credential accepted, MIB not read"
        elif records[0].get("snmp.errors"):
            errors = records[0]["snmp.errors"]
            status, detail = (
                "partial",
                "; ".join(str(e) for e in (errors if isinstance(errors, list) else [errors])[:3]),
            )
        else:
            status, detail = "ok", f"read with {credential.version} {credential.label}"
        self.ctx.report(SCANNER, target, status, detail, records=len(records), site=self.site)
        return records

    async def _sweep_communities(self, host: str, port: int, posture: AgentPosture, walk: Walk) -> Credential | None:
        """Try every configured (and, if enabled, default) community at once; v1 is checked with the first hit."""
        candidates: list[str] = list(dict.fromkeys(self.opts.communities))
        if self.opts.community_test:
            candidates += [c for c in self.opts.default_communities if c not in candidates]
        if not candidates:
            return None
        sweep_version = "v2c" if "v2c" in self.opts.versions else ("v1" if "v1" in self.opts.versions else "")
        if not sweep_version:
            return None
        accepted_by = await self._sweep(host, port, candidates, sweep_version)
        if not accepted_by and sweep_version == "v2c" and "v1" in self.opts.versions:
            sweep_version = "v1"
            accepted_by = await self._sweep(host, port, candidates, "v1")
        if not accepted_by:
            return None
        posture.versions.append(sweep_version)
        for name, reply in accepted_by:
            label, default = self._label(name)
            posture.communities.append(CommunityResult(label, default, [sweep_version]))
            walk.update(reply.values)
        best_name = next((c for c, _ in accepted_by if c in self.opts.communities), accepted_by[0][0])
        if sweep_version == "v2c" and "v1" in self.opts.versions:
            reply = await self.client.get(
                host, port, community(best_name, "v1"), PROBE_OIDS, label="v1 check", retries=0, windowed=False
            )
            if accepted(reply):
                posture.versions.append("v1")
                best_label = self._label(best_name)[0]
                for result in posture.communities:
                    if result.label == best_label:
                        result.versions.append("v1")
        best = self._label(best_name)[0]
        return Credential(community(best_name, sweep_version), sweep_version, f"community {best}")

    async def _sweep(self, host: str, port: int, candidates: list[str], version: str) -> list[tuple[str, Reply]]:
        """Every candidate at once, unanswered-is-no (onesixtyone's rule); then one gentler pass for configured ones.

        Agents drop wrong communities silently, so the first pass neither retries
        nor waits for the in-flight window. A configured community is expected
        to work: if nothing answered at all, it is asked again inside the window
        with the configured retries, so an agent that was merely slow (or a
        lost datagram) is not reported as unreachable.
        """

        async def ask(names: list[str], *, retries: int, windowed: bool) -> list[tuple[str, Reply]]:
            replies = await asyncio.gather(
                *(
                    self.client.get(
                        host,
                        port,
                        community(name, version),
                        probe_oids(version),
                        label=f"{version} community",
                        retries=retries,
                        windowed=windowed,
                    )
                    for name in names
                )
            )
            return [(n, r) for n, r in zip(names, replies, strict=True) if accepted(r)]

        found = await ask(candidates, retries=0, windowed=False)
        configured = [c for c in candidates if c in self.opts.communities]
        if not found and configured and self.opts.retries > 0:
            found = await ask(configured, retries=self.opts.retries - 1, windowed=True)
        return found

    async def _try_v3_users(self, host: str, port: int, posture: AgentPosture, walk: Walk) -> Credential | None:
        if "v3" not in self.opts.versions or not self.opts.v3_users:
            return None
        auths = [usm_user(u.user, u.auth_key, u.priv_key, u.auth, u.priv) for u in self.opts.v3_users]
        replies = await asyncio.gather(
            *(
                self.client.get(host, port, a, mib.SYSTEM_SCALARS, label=f"v3 user {u.user}")
                for u, a in zip(self.opts.v3_users, auths, strict=True)
            )
        )
        best: Credential | None = None
        rank = {"noAuthNoPriv": 0, "authNoPriv": 1, "authPriv": 2}
        best_rank = -1
        for user, auth, reply in zip(self.opts.v3_users, auths, replies, strict=True):
            accepted = reply.ok and bool(reply.values)
            detail = "" if accepted else (reply.error or reply.status or "no reply")[:200]
            posture.v3_users.append(
                V3UserResult(user.user, user.security_level, user.auth, user.priv, accepted, detail)
            )
            if accepted:
                walk.update(reply.values)
                if rank[user.security_level] > best_rank:
                    best, best_rank = Credential(auth, "v3", f"user {user.user}"), rank[user.security_level]
        if best is not None and "v3" not in posture.versions:
            posture.versions.append("v3")
        return best

    async def _apply_discovery(
        self, host: str, port: int, posture: AgentPosture, task: asyncio.Task[list[Discovery]]
    ) -> None:
        if not self.discoveries:
            for answer in await task:
                self.discoveries[(answer.host, answer.port)] = answer
        found = self.discoveries.get((host, port))
        if found is None or not found.engine_id:
            return
        posture.engine = parse_engine_id(found.engine_id)
        posture.engine_boots, posture.engine_time_s = found.boots, found.time_s
        if "v3" not in posture.versions:
            posture.versions.append("v3")

    async def _collect(self, host: str, port: int, credential: Credential, walk: Walk, posture: AgentPosture) -> None:
        """System group (unless the sweep already read it), identity objects and the configured tables."""
        auth, version = credential.auth, credential.version
        if walk.get(mib.SYS_NAME) is None and walk.get(mib.SYS_UPTIME) is None:  # a v1 sweep read two objects only
            reply = await self.client.get(host, port, auth, mib.SYSTEM_SCALARS, label=f"{version} system")
            self._take(reply, walk, posture, "system group")
            if version == "v1" and not reply.ok:  # v1 fails the whole PDU on one missing object: ask one by one
                for oid in mib.SYSTEM_SCALARS:
                    self._take(await self.client.get(host, port, auth, [oid], label="v1 system"), walk, None, "")
        jobs: list[Any] = []
        if version != "v1" and "identity" in self.opts.collect:
            jobs.append(self._identity_bulk(host, port, auth, version, walk, posture))
        else:
            if "identity" in self.opts.collect:
                jobs.append(self._identity(host, port, auth, version, walk, posture))
            if "entity" in self.opts.collect:
                jobs.append(self._entity(host, port, auth, version, walk, posture))
        columns = [
            c
            for name, cols in mib.COLLECT_COLUMNS.items()
            if name in self.opts.collect and name != "entity"
            for c in cols
        ]
        if "lldp" in self.opts.collect and version != "v1":
            jobs.append(self._scalars(host, port, auth, mib.LLDP_SCALARS, walk, f"{version} lldp local"))
        if columns:
            jobs.append(self._walk(host, port, auth, version, columns, walk, posture))
        await asyncio.gather(*jobs)

    async def _identity_bulk(
        self, host: str, port: int, auth: Auth, version: str, walk: Walk, posture: AgentPosture
    ) -> None:
        """Identity objects and the presence of ENTITY-MIB in one GETNEXT (v2c/v3), then what they call for.

        The request asks for the object after: the enterprises arc (the first
        vendor subtree), the 802.11 identity row, each UPS/vendor identity object's
        parent (so the answer is the object itself when it exists) and
        entPhysicalClass (so an agent without ENTITY-MIB costs nothing more).
        Three requests fingerprint most agents; a chassis with modules adds a walk.
        """
        numbers = self._enterprises(walk)
        objects = [o.oid for o in identity_mibs.objects_for(numbers)]
        dot11 = [c for c, _ in identity_mibs.DOT11_COLUMNS]
        class_column = (*mib.ENT_PHYSICAL_ENTRY, mib.ENT["class"])
        entity = "entity" in self.opts.collect
        nexts = [ENTERPRISES_ARC, *dot11, *(o[:-1] for o in objects), *([class_column] if entity else [])]
        reply = await self.client.get_next(host, port, auth, nexts, label=f"{version} identity")
        if not reply.ok:
            self._take(reply, walk, posture, "identity")
            return
        wanted = set(objects)
        private = next((oid for oid, _ in reply.pairs[:1] if oid[:6] == ENTERPRISES_ARC and len(oid) > 6), None)
        has_entity = False
        for oid, value in reply.pairs:
            in_dot11 = oid[: len(identity_mibs.DOT11_RESOURCE)] == identity_mibs.DOT11_RESOURCE
            if value is not None and (oid in wanted or in_dot11 or oid == private):
                walk.set(oid, value)
            has_entity = has_entity or (value is not None and oid[: len(class_column)] == class_column)
        extra: set[int] = set()
        if private is not None and private[6] not in numbers:
            extra.add(private[6])
        if private is not None and private[6] in AGENT_IMPLEMENTERS:
            hop = await self.client.get_next(
                host, port, auth, [(*ENTERPRISES_ARC, private[6] + 1)], label=f"{version} private subtree"
            )
            for oid, value in hop.values.items():
                if oid[:6] == ENTERPRISES_ARC and len(oid) > 6:
                    walk.set(oid, value)
                    extra.add(oid[6])
        more = [o.oid for o in identity_mibs.objects_for(extra - numbers) if o.enterprise is not None]
        jobs: list[Any] = []
        if more:
            jobs.append(self._scalars(host, port, auth, more, walk, f"{version} identity"))
        if has_entity:
            jobs.append(self._entity(host, port, auth, version, walk, posture))
        await asyncio.gather(*jobs)

    @staticmethod
    def _enterprises(walk: Walk) -> set[int]:
        object_id = walk.get(mib.SYS_OBJECT_ID)
        number = number_from_oid(object_id.oid() or "") if object_id else None
        return {number} if number is not None else set()

    async def _entity_details(
        self,
        host: str,
        port: int,
        auth: Auth,
        version: str,
        classes: dict[tuple[int, ...], Value],
        walk: Walk,
        posture: AgentPosture,
    ) -> None:
        class_column = (*mib.ENT_PHYSICAL_ENTRY, mib.ENT["class"])
        wanted = [
            oid[len(class_column) :]
            for oid, value in classes.items()
            if mib.ENT_CLASSES.get(value.number() or 0) in mib.ENTITY_DETAIL_CLASSES
        ][: mib.MAX_ENTITY_DETAIL_ROWS]
        oids = [
            (*mib.ENT_PHYSICAL_ENTRY, mib.ENT[name], *index) for index in wanted for name in mib.ENTITY_DETAIL_COLUMNS
        ]
        batches = [oids[i : i + 40] for i in range(0, len(oids), 40)]
        for reply in await asyncio.gather(
            *(self.client.get(host, port, auth, batch, label=f"{version} entity") for batch in batches)
        ):
            self._take(reply, walk, posture, "entity details")

    async def _entity(self, host: str, port: int, auth: Auth, version: str, walk: Walk, posture: AgentPosture) -> None:
        """ENTITY-MIB in two steps: walk entPhysicalClass, then GET the identity columns of the rows that matter.

        A switch lists every port and sensor as an entity; reading all columns of
        all rows costs a dozen requests, the chassis and modules need one or two.
        """
        class_column = (*mib.ENT_PHYSICAL_ENTRY, mib.ENT["class"])
        classes, problems = await self.client.walk(
            host, port, auth, [class_column], label=f"{version} walk", bulk=version != "v1", max_rows=self.opts.max_rows
        )
        walk.update(classes)
        posture.errors.extend(problems)
        await self._entity_details(host, port, auth, version, classes, walk, posture)

    async def _walk(
        self, host: str, port: int, auth: Auth, version: str, columns: list[Any], walk: Walk, posture: AgentPosture
    ) -> None:
        found, problems = await self.client.walk(
            host, port, auth, columns, label=f"{version} walk", bulk=version != "v1", max_rows=self.opts.max_rows
        )
        walk.update(found)
        posture.errors.extend(problems)

    async def _scalars(self, host: str, port: int, auth: Auth, oids: Sequence[Any], walk: Walk, label: str) -> None:
        reply = await self.client.get(host, port, auth, list(oids), label=label)
        if reply.ok:
            walk.update(reply.values)

    async def _identity(
        self, host: str, port: int, auth: Auth, version: str, walk: Walk, posture: AgentPosture
    ) -> None:
        """Identity objects beyond the system group: the vendor MIBs present, then UPS-MIB/vendor scalars."""
        numbers: set[int] = set()
        object_id = walk.get(mib.SYS_OBJECT_ID)
        number = number_from_oid(object_id.oid() or "") if object_id else None
        if number is not None:
            numbers.add(number)
        # one GETNEXT names the first vendor subtree and the 802.11 identity row; a second hop skips net-snmp's own
        dot11 = [c for c, _ in identity_mibs.DOT11_COLUMNS]
        cursor: tuple[int, ...] = ENTERPRISES_ARC
        for hop in range(2):
            oids = [cursor, *dot11] if hop == 0 and version != "v1" else [cursor]
            reply = await self.client.get_next(host, port, auth, oids, label=f"{version} private subtree")
            if not reply.ok:
                break
            keep = {
                o: v
                for o, v in reply.values.items()
                if o[: len(identity_mibs.DOT11_RESOURCE)] == identity_mibs.DOT11_RESOURCE
            }
            walk.update(keep)
            found = [
                o
                for o in reply.values
                if o[: len(ENTERPRISES_ARC)] == ENTERPRISES_ARC and len(o) > len(ENTERPRISES_ARC)
            ]
            if not found:
                break
            first = found[0][len(ENTERPRISES_ARC)]
            walk.update({found[0]: reply.values[found[0]]})
            numbers.add(first)
            if first not in AGENT_IMPLEMENTERS:
                break
            cursor = (*ENTERPRISES_ARC, first + 1)
        objects = [o.oid for o in identity_mibs.objects_for(numbers)]
        if version == "v1":
            for oid in objects:
                self._take(await self.client.get(host, port, auth, [oid], label="v1 identity"), walk, None, "")
        else:
            self._take(await self.client.get(host, port, auth, objects, label=f"{version} identity"), walk, None, "")

    @staticmethod
    def _take(reply: Reply, walk: Walk, posture: AgentPosture | None, what: str) -> None:
        if reply.ok:
            walk.update(reply.values)
        elif posture is not None and what:
            posture.errors.append(f"{what}: {reply.error or reply.status or 'no reply'}"[:200])

    async def _write_test(self, host: str, port: int, posture: AgentPosture, walk: Walk) -> None:
        """SET sysLocation to the value just read, with each accepted community; nothing else is ever written."""
        current = walk.get(mib.SYS_LOCATION)
        raw = current.octets() if current is not None else None
        if raw is None:
            posture.errors.append("write test skipped: sysLocation could not be read")
            return
        names = {self._label(c)[0]: c for c in [*self.opts.communities, *self.opts.default_communities]}
        for result in posture.communities:
            name = names.get(result.label)
            if name is None:
                continue
            version = "v2c" if "v2c" in result.versions else "v1"
            reply = await self.client.set_octets(
                host, port, community(name, version), mib.SYS_LOCATION, raw, label=f"{version} write test"
            )
            if reply.ok:
                result.writable, result.write_detail = True, "SET sysLocation.0 (unchanged value) accepted"
            elif reply.status:
                result.writable, result.write_detail = False, f"SET refused: {reply.status}"
            else:
                result.write_detail = f"SET not answered: {reply.error or 'timeout'}"[:200]

    def _zone_fields(self, record: Record, host: str) -> None:
        """Whether this agent answered a probe sent from outside its management zone(s) (policy ``snmp_management_zones``)."""
        zones: Sequence[Zone] = self.ctx.zones
        if not zones:
            return
        source_ip = probe_source_ip(host)
        agent_zone = zone_of(host, zones, self.site)
        source_zone = zone_of(source_ip, zones, self.site) if source_ip else None
        if source_ip:
            record["snmp.probe_source_ip"] = source_ip
        if source_zone is not None:
            record["snmp.probe_source_zone"] = source_zone
        managed = management_zones(self.ctx.policy)
        if managed is None or agent_zone is None:
            return
        record["snmp.outside_management_zone"] = source_zone not in managed and source_zone != agent_zone


def probe_source_ip(host: str) -> str:
    """The local address the kernel would send from to ``host`` (a UDP connect sends nothing)."""
    try:
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((host, 9))
            return str(sock.getsockname()[0])
    except (OSError, ValueError):
        return ""


def zone_of(address: str, zones: Sequence[Zone], site: str) -> str | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    for zone in zones:
        if site and zone.site and zone.site != site:
            continue
        if any(ip in network for network in zone.networks):
            return zone.name
    return None


def management_zones(policy: Mapping[str, Any]) -> set[str] | None:
    value = policy.get("snmp_management_zones")
    if value is None:
        return None
    return {str(v) for v in (value if isinstance(value, list) else [value])}


__all__ = ["LiveScan", "oid_text"]
