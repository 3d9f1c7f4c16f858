"""``xposture verify-attestation``: a firmware CI gate that verifies attestations offline, no inventory needed.

The same checks as the ``attestation`` scanner (Sigstore bundles against
trusted-root files, keyed DSSE, in-toto layouts, SLSA policy), for one
release pipeline step: exit 0 when every attestation is verified, 1 when
any is not, 2 when an input cannot be read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml

from xposture.commands.common import EXIT_FINDINGS, EXIT_OK, write_output
from xposture.errors import InputError, UsageError
from xposture.model import Record
from xposture.reports.text import terminal_safe
from xposture.scanners.base import ScanContext, SourceConfig
from xposture.scanners.supplychain.attestation import AttestationScanner

SHOWN = (
    "attestation.status",
    "attestation.file",
    "attestation.format",
    "attestation.reasons",
    "attestation.reason_text",
    "attestation.signer",
    "attestation.signer_issuer",
    "attestation.builder_id",
    "attestation.source_repo",
    "attestation.source_revision",
    "attestation.slsa_level",
    "attestation.subject_names",
    "attestation.subject_digests",
    "attestation.artifact",
    "attestation.digest_match",
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "verify-attestation",
        help="verify attestations (Sigstore, DSSE, in-toto, SLSA) offline; exit 1 unless all verify",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="attestation files or folders")
    parser.add_argument(
        "--artifact", action="append", default=[], metavar="FILE", help="artifact to match (repeatable)"
    )
    parser.add_argument("--trusted-root", action="append", default=[], metavar="FILE", help="Sigstore trusted root")
    parser.add_argument("--key", action="append", default=[], metavar="PEM", help="trusted public key (repeatable)")
    parser.add_argument("--layout-key", action="append", default=[], metavar="PEM", help="in-toto layout key")
    parser.add_argument("--policy", metavar="YAML", help="file with silicon policy keys (trusted_builders, ...)")
    parser.add_argument("--product", default="", help="product name for expected_source_repos")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("-o", "--output", metavar="FILE")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    options: dict[str, Any] = {
        "paths": args.paths,
        "artifacts": args.artifact,
        "trusted_roots": args.trusted_root,
        "keys": args.key,
        "layout_keys": args.layout_key,
        "product": args.product,
    }
    ctx = ScanContext(policy=_policy(args.policy))
    records = list(AttestationScanner().scan(SourceConfig("attestation", options, Path.cwd()), ctx))
    if not records:
        raise UsageError("no attestation found in the given paths")
    if args.format == "json":
        payload = [{k: r[k] for k in SHOWN if k in r} for r in records]
        write_output(json.dumps(payload, indent=2) + "\n", args.output)
    else:
        write_output("".join(_line(r) for r in records), args.output)
    return EXIT_OK if all(r["attestation.status"] == "verified" for r in records) else EXIT_FINDINGS


def _line(record: Record) -> str:
    status = str(record["attestation.status"]).upper()
    where = f"{record['attestation.file']}#{record.get('source.line', 1)}"
    return f"{status:<10} {terminal_safe(where)}  {terminal_safe(record.get('attestation.reason_text', ''))}\n"


def _policy(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read policy: {exc}", file=path) from exc
    if isinstance(data, dict) and isinstance(data.get("policy"), dict):
        data = data["policy"]  # an inventory file works too
    if not isinstance(data, dict):
        raise InputError("expected a mapping of policy keys", file=path)
    return data
