"""The ``snmp`` scanner: SNMP posture and device identity, from live agents or offline recordings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import ClassVar

from xposture.errors import InputError
from xposture.model import Layer, Record
from xposture.scanners.base import OptionType, ScanContext, SourceConfig
from xposture.scanners.ot.active.targets import expand_targets
from xposture.scanners.ot.snmp.build import Origin, agent_records
from xposture.scanners.ot.snmp.live import LiveScan
from xposture.scanners.ot.snmp.options import parse_options
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
            found = list(agent_records(walk, Origin(asset_id=asset_id, site=site, ip=ip, file=str(path))))
            errors = found[0].get("snmp.errors") if found else None
            status = "partial" if errors else "ok"
            ctx.report(self.name, str(path), status, "offline recording", records=len(found), site=site)
            records.extend(found)
        if failures and not records:
            raise failures[0]
        return records


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
