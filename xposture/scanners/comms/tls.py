"""The ``tls`` scanner: TLS posture of endpoints on any port, plus certificates given as files.

Live endpoints yield one ``tls_endpoint`` record (versions, suites, weak
classes) and one ``tls_certificate`` record per presented certificate.
Offline, ``certificates:`` lists PEM/DER files (a device's exported
certificate, a saved chain) so a plant without network access to the
device still gets the certificate checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from xposture.errors import InputError
from xposture.model import FieldValue, Layer, Record, make_record
from xposture.scanners.base import OptionType, ScanContext, SourceConfig
from xposture.scanners.comms import tls_wire
from xposture.scanners.comms.certs import (
    DEFAULT_EXPIRY_WARNING_DAYS,
    certificate_facts,
    load_certificate_file,
    load_trust_store,
)
from xposture.scanners.comms.endpoints import (
    COMMON_OPTIONS,
    Endpoint,
    Limits,
    ProbeResult,
    endpoint_record,
    endpoint_texts,
    parse_endpoint,
    run_endpoints,
)
from xposture.scanners.comms.tls_probe import TlsProber, TlsSettings


class TlsScanner:
    """Probe TLS endpoints the way sslyze/testssl.sh do, with hand-built hellos for what OpenSSL refuses."""

    name: ClassVar[str] = "tls"
    layer: ClassVar[Layer] = Layer.COMMS
    # Not ``active`` as a class: certificate files are read in passive scans too, while live
    # endpoints are refused by the safety policy (coverage "skipped") when active scanning is off.
    active: ClassVar[bool] = False
    options: ClassVar[Mapping[str, OptionType]] = {
        **COMMON_OPTIONS,
        "server_name": str,
        "trust_store": list,
        "certificates": list,
        "enumerate_suites": bool,
        "max_handshake_bytes": int,
    }
    required: ClassVar[tuple[str, ...]] = ()

    async def scan(self, source: SourceConfig, ctx: ScanContext) -> AsyncIterator[Record]:
        store = load_trust_store(source.path_list("trust_store"))
        warning_days = int(ctx.policy.get("cert_expiry_warning_days", DEFAULT_EXPIRY_WARNING_DAYS))
        for record in self._offline(source, ctx, store, warning_days):
            yield record
        texts = endpoint_texts(source)
        if not texts:
            return
        limits = Limits.from_source(source, ctx)
        settings = TlsSettings(
            timeout_s=limits.timeout_s,
            store=store,
            enumerate_suites=bool(source.options.get("enumerate_suites", True)),
            max_handshake_bytes=int(source.options.get("max_handshake_bytes", tls_wire.DEFAULT_MAX_HANDSHAKE_BYTES)),
            expiry_warning_days=warning_days,
            server_name=source.options.get("server_name"),
        )

        async def probe(endpoint: Endpoint, result: ProbeResult) -> None:
            prober = TlsProber(endpoint, settings, ctx, self.name)
            try:
                posture = await prober.run()
            finally:
                if prober.posture.accepted_any and not result.records:
                    # keep what was learnt even when a later step fails or time runs out
                    result.records.append(self._endpoint_record(endpoint, source, prober.posture.endpoint_fields()))
            result.records[0].update(_clean(posture.endpoint_fields()))
            if prober.sni:
                result.records[0]["tls.server_name"] = prober.sni
            for facts in posture.certificates:
                key = f"tcp/{endpoint.port}/cert/{facts['cert.position']}"
                fields: dict[str, FieldValue] = {"cert.endpoint": endpoint.label, "cert.source": "handshake", **facts}
                result.records.append(endpoint_record("tls_certificate", endpoint, source, self.name, fields, key=key))
            if posture.cert_error:
                result.status, result.detail = "partial", posture.cert_error

        async for record in run_endpoints(self.name, texts, 443, probe, source, ctx, limits):
            yield record

    def _endpoint_record(self, endpoint: Endpoint, source: SourceConfig, fields: dict[str, FieldValue]) -> Record:
        base: dict[str, FieldValue] = {"tls.host": endpoint.host, "tls.port": endpoint.port}
        base.update(fields)
        return endpoint_record("tls_endpoint", endpoint, source, self.name, base)

    def _offline(self, source: SourceConfig, ctx: ScanContext, store: Any, warning_days: int) -> list[Record]:
        """``tls_certificate`` records for certificate files, attached to their endpoint when one is named."""
        records: list[Record] = []
        now = dt.datetime.now(dt.UTC)
        for item in source.options.get("certificates", []):
            path_text, endpoint_text = (
                (item.get("path"), item.get("endpoint")) if isinstance(item, dict) else (item, None)
            )
            if not isinstance(path_text, str):
                raise InputError("each certificates entry needs a path", file=source.file, line=source.line)
            path = Path(path_text) if Path(path_text).is_absolute() else source.base_dir / path_text
            try:
                chain = load_certificate_file(path)
            except InputError as exc:  # one unreadable file must not hide the others or the live endpoints
                ctx.report(self.name, str(path), "failed", exc.message, site=source.site)
                continue
            host, port = parse_endpoint(endpoint_text, 443) if isinstance(endpoint_text, str) else ("", 0)
            facts_list = certificate_facts(
                chain, hostname=host or None, store=store, now=now, expiry_warning_days=warning_days
            )
            for facts in facts_list:
                fields: dict[str, FieldValue] = {"cert.source": "file", **facts}
                if host:
                    fields.update({"cert.endpoint": endpoint_text, "asset.ip": host, "asset.kind": "network_host"})
                    if source.site:
                        fields["site"] = source.site
                asset = (f"ip:{source.site}/{host}" if source.site else f"ip:{host}") if host else f"file:{path.name}"
                key = (
                    f"tcp/{port}/cert/{facts['cert.position']}"
                    if host
                    else f"{path.name}/cert/{facts['cert.position']}"
                )
                records.append(
                    make_record(
                        "tls_certificate",
                        asset_id=asset,
                        key=key,
                        layer=Layer.COMMS,
                        scanner=self.name,
                        fields=fields,
                        file=str(path),
                    )
                )
            ctx.report(self.name, str(path), "ok", records=len(facts_list), site=source.site)
        return records


def _clean(fields: dict[str, FieldValue]) -> dict[str, FieldValue]:
    return {k: v for k, v in fields.items() if v is not None and v != []}
