"""Shared machinery of the active comms probes: endpoints, scope checks, per-host limits, timeouts, coverage.

Every comms scanner (TLS, SSH, MQTT, OPC UA, IKE) probes ``host:port``
endpoints the same way: resolve, refuse anything outside the declared scopes,
run hundreds of endpoints at once with asyncio but never more than a few
connections to one host (plant devices fall over under load), give each
endpoint a time budget, and report coverage for each one so that an
unreachable endpoint never looks clean. Keeping this in one place means the
probes only speak their protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xposture.errors import InputError, ScannerError
from xposture.model import FieldValue, Layer, Record, make_record
from xposture.scanners.base import ScanContext, SourceConfig

DEFAULT_TIMEOUT_S = 5.0
"""Time allowed for one connect/read step; a stalled peer costs at most this per step."""
DEFAULT_ENDPOINT_TIMEOUT_S = 60.0
"""Time allowed for all probes of one endpoint together."""
DEFAULT_PER_HOST = 4
"""Endpoints of one host probed at once: PLCs and gateways have tiny TCP stacks."""

# Option types every endpoint scanner accepts (merged into each scanner's ``options``).
COMMON_OPTIONS: Mapping[str, type | tuple[type, ...]] = {
    "endpoints": list,
    "timeout_s": (int, float),
    "endpoint_timeout_s": (int, float),
    "per_host_limit": int,
    "concurrency": int,
}


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One resolved ``host:port``: ``host`` as written in the inventory, ``address`` the IP we connect to."""

    host: str
    port: int
    address: str

    @property
    def label(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def is_name(self) -> bool:
        """True when the inventory named a host (so SNI and hostname checks apply)."""
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return True
        return False


@dataclass(slots=True)
class ProbeResult:
    """What a probe found so far; kept even when the endpoint's time runs out."""

    records: list[Record] = field(default_factory=list)
    status: str = "ok"
    detail: str = ""


Probe = Callable[[Endpoint, ProbeResult], Awaitable[None]]


def parse_endpoint(text: str, default_port: int | None) -> tuple[str, int]:
    """Split ``host:port``, ``[v6]:port``, a bare host or a bare IPv6 address (with ``default_port``)."""
    raw = str(text).strip()
    if not raw:
        raise ValueError("empty endpoint")
    host: str
    port_text: str | None
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0:
            raise ValueError(f"unterminated [ in {raw!r}")
        host, rest = raw[1:end], raw[end + 1 :]
        port_text = rest[1:] if rest.startswith(":") else None
        if rest and not rest.startswith(":"):
            raise ValueError(f"unexpected text after ] in {raw!r}")
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
    else:
        host, port_text = raw, None  # bare host or bare IPv6 address
    if port_text is None or port_text == "":
        if default_port is None:
            raise ValueError(f"no port in {raw!r}")
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"bad port in {raw!r}")
    return host, int(port_text)


async def resolve(host: str) -> list[str]:
    """IP addresses for ``host``: a literal as it is, a name through the system resolver (every answer, in order)."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ScannerError(f"cannot resolve host name: {exc}", target=host) from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise ScannerError("host name resolves to nothing", target=host)
    return addresses


def in_scope(addresses: list[str], ctx: ScanContext, scanner: str) -> str:
    """The first address the safety policy allows; if none is, the policy's refusal for the first."""
    refusal: ScannerError | None = None
    for address in addresses:
        try:
            ctx.safety.check_target(address, scanner=scanner)
        except ScannerError as exc:
            refusal = refusal or exc
            continue
        return address
    assert refusal is not None
    raise refusal


def host_fields(endpoint: Endpoint, site: str) -> dict[str, FieldValue]:
    """The asset identification every endpoint record carries, so the asset merge joins it with other sightings."""
    fields: dict[str, FieldValue] = {"asset.ip": endpoint.address, "asset.kind": "network_host"}
    if site:
        fields["site"] = site
    if endpoint.is_name:
        fields["asset.name"] = endpoint.host
    return fields


def asset_id(endpoint: Endpoint, site: str) -> str:
    return f"ip:{site}/{endpoint.address}" if site else f"ip:{endpoint.address}"


def endpoint_record(
    record_type: str,
    endpoint: Endpoint,
    source: SourceConfig,
    scanner: str,
    fields: Mapping[str, FieldValue],
    *,
    key: str | None = None,
) -> Record:
    """A record about one endpoint with the host's identification and the probed target as evidence."""
    merged = host_fields(endpoint, source.site)
    merged.update(fields)
    return make_record(
        record_type,
        asset_id=asset_id(endpoint, source.site),
        key=key or f"tcp/{endpoint.port}",
        layer=Layer.COMMS,
        scanner=scanner,
        fields=merged,
        target=endpoint.label,
    )


def _option_float(options: Mapping[str, Any], key: str, default: float) -> float:
    value = options.get(key, default)
    return float(value) if isinstance(value, (int, float)) and value > 0 else default


@dataclass(slots=True)
class Limits:
    """Timeouts and concurrency for one source entry, from its options with safe defaults."""

    timeout_s: float = DEFAULT_TIMEOUT_S
    endpoint_timeout_s: float = DEFAULT_ENDPOINT_TIMEOUT_S
    per_host: int = DEFAULT_PER_HOST
    concurrency: int = 64

    @classmethod
    def from_source(cls, source: SourceConfig, ctx: ScanContext) -> Limits:
        opts = source.options
        per_host = opts.get("per_host_limit", DEFAULT_PER_HOST)
        concurrency = opts.get("concurrency", ctx.concurrency)
        # ctx.timeout_s is the whole source's budget (the pipeline enforces it), not one step's
        timeout = _option_float(opts, "timeout_s", DEFAULT_TIMEOUT_S)
        return cls(
            timeout_s=timeout,
            endpoint_timeout_s=_option_float(opts, "endpoint_timeout_s", DEFAULT_ENDPOINT_TIMEOUT_S),
            per_host=max(1, int(per_host)),
            concurrency=max(1, int(concurrency)),
        )


class _RateLimiter:
    """Spaces endpoint starts to the safety policy's rate so a scan never floods a plant network."""

    def __init__(self, rate_per_s: float) -> None:
        self._interval = 1.0 / rate_per_s if rate_per_s > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self._interval:
            return
        async with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            await asyncio.sleep(delay)


def endpoint_texts(source: SourceConfig, key: str = "endpoints") -> list[str]:
    raw = source.options.get(key, [])
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise InputError(f"option {key!r} must be a list of host:port", file=source.file, line=source.line)
    return [str(item) for item in raw]


async def run_endpoints(
    scanner: str,
    texts: Sequence[str],
    default_port: int | None,
    probe: Probe,
    source: SourceConfig,
    ctx: ScanContext,
    limits: Limits,
) -> AsyncIterator[Record]:
    """Probe every endpoint concurrently and yield records as endpoints finish; report coverage for each.

    A probe raising ``ScannerError`` or ``OSError`` marks its endpoint failed;
    one running past ``endpoint_timeout_s`` is cut off and keeps what it had
    found. Neither stops the other endpoints.
    """
    queue: asyncio.Queue[list[Record] | None] = asyncio.Queue()
    host_limits: dict[str, asyncio.Semaphore] = {}
    overall = asyncio.Semaphore(limits.concurrency)
    rate = _RateLimiter(ctx.safety.max_rate_per_s)

    async def one(text: str) -> None:
        try:
            await _probe_one(text)
        finally:
            await queue.put(None)

    async def _probe_one(text: str) -> None:
        try:
            host, port = parse_endpoint(text, default_port)
        except ValueError as exc:
            ctx.report(scanner, text, "failed", f"invalid endpoint: {exc}", site=source.site)
            return
        if ctx.cancelled():
            ctx.report(scanner, text, "skipped", "scan cancelled or out of time", site=source.site)
            return
        try:
            address = in_scope(await resolve(host), ctx, scanner)
        except ScannerError as exc:
            ctx.report(scanner, text, "skipped", exc.message, site=source.site)
            return
        endpoint = Endpoint(host, port, address)
        result = ProbeResult()
        semaphore = host_limits.setdefault(address, asyncio.Semaphore(limits.per_host))
        async with overall, semaphore:
            await rate.wait()
            try:
                await asyncio.wait_for(probe(endpoint, result), limits.endpoint_timeout_s)
            except TimeoutError:
                result.status = "timeout"
                result.detail = f"endpoint not finished within {limits.endpoint_timeout_s:g} s"
            except ScannerError as exc:
                result.status, result.detail = ("partial" if result.records else "failed"), exc.message
            except OSError as exc:
                result.status = "partial" if result.records else "failed"
                result.detail = f"{type(exc).__name__}: {exc}"
            except Exception as exc:  # a probe bug must cost one endpoint, never the scan or its coverage
                result.status = "partial" if result.records else "failed"
                result.detail = f"internal error: {exc!r}"
        ctx.report(scanner, endpoint.label, result.status, result.detail, records=len(result.records), site=source.site)
        if result.records:
            await queue.put(result.records)

    tasks = [asyncio.create_task(one(text)) for text in texts]
    pending = len(tasks)
    try:
        while pending:
            item = await queue.get()
            if item is None:
                pending -= 1
                continue
            for record in item:
                yield record
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def read_exactly(reader: asyncio.StreamReader, size: int, timeout_s: float, what: str) -> bytes:
    """Read ``size`` bytes or raise ``ScannerError`` naming what was expected (reset, close and stall alike)."""
    try:
        return await asyncio.wait_for(reader.readexactly(size), timeout_s)
    except asyncio.IncompleteReadError as exc:
        raise ScannerError(f"connection closed while reading {what} ({len(exc.partial)} of {size} bytes)") from exc
    except TimeoutError as exc:
        raise ScannerError(f"no {what} within {timeout_s:g} s") from exc
    except ConnectionError as exc:
        raise ScannerError(f"connection reset while reading {what}: {exc}") from exc


async def open_connection(
    endpoint: Endpoint, timeout_s: float, **kwargs: Any
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """TCP connect with a timeout; refusal, reset and stall become ``ScannerError``."""
    try:
        return await asyncio.wait_for(
            asyncio.open_connection(endpoint.address, endpoint.port, limit=1 << 20, **kwargs), timeout_s
        )
    except TimeoutError as exc:
        raise ScannerError(f"connect timed out after {timeout_s:g} s") from exc
    except OSError as exc:
        raise ScannerError(f"connect failed: {exc.strerror or exc}") from exc


async def close_quietly(writer: asyncio.StreamWriter) -> None:
    """Close without waiting on a peer that may never answer the FIN."""
    writer.close()
    # reset, timeout or TLS shutdown errors of a dead peer are not ours to report; cancellation is not an
    # Exception, so it still ends the probe when its time is up
    with contextlib.suppress(Exception):
        await asyncio.wait_for(writer.wait_closed(), 1.0)
