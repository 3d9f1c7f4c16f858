"""The ``snmp`` scanner: SNMP posture and device identity, from live agents or offline recordings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import ClassVar

from xposture.errors import InputError, ScannerError
from xposture.model import Layer, Record
from xposture.scanners.base import OptionType, ScanContext, SourceConfig
from xposture.scanners.ot.active.targets import expand_targets
from xposture.scanners.ot.snmp.build import Origin, agent_records
from xposture.scanners.ot.snmp.live import LiveScan
from xposture.scanners.ot.snmp.options import parse_options
from xposture.scanners.ot.snmp.posture import DEFAULT_COMMUNITIES, AgentPosture, CommunityResult
from xposture.scanners.ot.snmp.recordings import SUFFIXES, read_recording


class SnmpScanner:
    """Audit SNMP agents (versions, communities, v3 users, engine ids) and read what the device says it is."""

    name: ClassVar[str] = "snmp"
    layer: ClassVar[Layer] = Layer.OT
    options: ClassVar[Mapping[str, OptionType]] = {
        "targets": list,
        "port": int,
        "paths": (list, str),
        "addresses": dict,
        "recorded_with": dict,
        "communities": (str, list),
        "default_communities": list,
        "credential_tests": bool,
        "write_test": bool,
        "versions": list,
        "v3_users": list,
        "engine_discovery": bool,
        "collect": list,
        "concurrency": int,
        "rate": (int, float),
        "timeout_s": (int, float),
        "retries": int,
        "max_rows": int,
        "max_in_flight": int,
    }
    required: ClassVar[tuple[str, ...]] = ()

    async def scan(self, source: SourceConfig, ctx: ScanContext) -> AsyncIterator[Record]:
        for record in self._offline(source, ctx):
            yield record
        if not source.options.get("targets"):
            return
        opts = parse_options(source, ctx)
        hosts, rejected = expand_targets(opts.targets, ctx.safety, scanner=self.name)
        for item in rejected:
            ctx.report(self.name, item.origin, "skipped", item.reason, site=source.site)
        if hosts:
            async for record in LiveScan(opts, ctx, source.site).run(hosts):
                yield record

    def _offline(self, source: SourceConfig, ctx: ScanContext) -> list[Record]:
        """Records from ``paths:`` recordings; a broken file is reported and the others still read."""
        addresses = {str(k): str(v) for k, v in dict(source.options.get("addresses", {})).items()}
        records: list[Record] = []
        failures: list[InputError] = []
        for path in _recording_files(source.path_list("paths")):
            if ctx.cancelled():
                ctx.report(self.name, str(path), "skipped", "scan cancelled or out of time", site=source.site)
                continue
            try:
                walk = read_recording(path)
            except InputError as exc:
                ctx.report(self.name, str(path), "failed", str(exc), site=source.site)
                failures.append(exc)
                continue
            ip = addresses.get(path.stem) or addresses.get(path.name) or ""
            site = source.site
            asset_id = (f"ip:{site}/{ip}" if site else f"ip:{ip}") if ip else f"snmp:{path.stem}"
            origin = Origin(asset_id=asset_id, site=site, ip=ip, file=str(path))
            found = list(agent_records(walk, origin, recorded_posture(source, ip)))
            errors = found[0].get("snmp.errors") if found else None
            status = "partial" if errors else "ok"
            ctx.report(self.name, str(path), status, "offline recording", records=len(found), site=site)
            records.extend(found)
        if failures and not records:
            raise failures[0]
        return records


def recorded_posture(source: SourceConfig, ip: str) -> AgentPosture | None:
    """Posture facts the inventory states for its recordings: ``recorded_with: {versions: [v2c], community: public}``.

    A walk taken on site with ``public`` proves that community works; only
    default community names may be written here (inventories hold no secrets).
    """
    stated = source.options.get("recorded_with")
    if not stated:
        return None
    versions = [str(v) for v in stated.get("versions", [])]
    if any(v not in ("v1", "v2c", "v3") for v in versions):
        raise ScannerError("recorded_with.versions: use v1, v2c, v3", scanner="snmp", target=source.label)
    posture = AgentPosture(ip or "", versions=versions, offline=True)
    name = stated.get("community")
    if name is not None:
        if str(name) not in DEFAULT_COMMUNITIES:
            raise ScannerError(
                "recorded_with.community: only default community names may appear in an inventory",
                scanner="snmp",
                target=source.label,
            )
        posture.communities.append(CommunityResult(str(name), True, [v for v in versions if v != "v3"]))
    return posture


def _recording_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES))
        elif path.exists():
            found.append(path)
        else:
            raise InputError("no such file or folder", file=str(path))
    return found
