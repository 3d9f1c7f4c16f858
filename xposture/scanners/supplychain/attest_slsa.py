"""Read in-toto statements and SLSA provenance (v0.1, v0.2, v1, VSA v1) and apply the provenance policy.

The fields a person needs to trust a firmware image - who built it (builder
id, build type), from what (source repository and revision), with which
knobs (external parameters) - are pulled out of each predicate version into
one shape, then checked against the inventory's policy the way
slsa-verifier does: trusted builder (at a tag, never a branch), expected
source repository, SLSA build level, allowed external parameters, signer.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from xposture.model import FieldValue
from xposture.sbom.model import as_list as _list
from xposture.scanners.supplychain.attest_verdict import Verdict

PROVENANCE_TYPES = ("https://slsa.dev/provenance/",)
VSA_TYPE = "https://slsa.dev/verification_summary/"

DEFAULT_TRUSTED_BUILDERS: dict[str, int] = {
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/*": 3,
    "https://cloudbuild.googleapis.com/GoogleHostedWorker*": 3,
}
"""Builders trusted when the policy names none: slsa-verifier's own defaults (reusable workflows at a tag, GCB)."""


@dataclass(slots=True)
class Provenance:
    """What one statement says about how its subjects were built."""

    statement_type: str = ""
    predicate_type: str = ""
    subject_names: list[str] = field(default_factory=list)
    subject_digests: list[str] = field(default_factory=list)
    builder_id: str = ""
    build_type: str = ""
    source_repo: str = ""
    source_revision: str = ""
    source_ref: str = ""
    external_parameters: list[str] = field(default_factory=list)
    claimed_levels: list[int] = field(default_factory=list)
    verification_result: str = ""

    @property
    def is_provenance(self) -> bool:
        return self.predicate_type.startswith(PROVENANCE_TYPES)


def read_statement(statement: Mapping[str, Any]) -> Provenance:
    """Pull the judged facts out of any in-toto statement (unknown predicates give subjects only)."""
    prov = Provenance(
        statement_type=_text(statement.get("_type")), predicate_type=_text(statement.get("predicateType"))
    )
    for subject in _list(statement.get("subject")):
        if not isinstance(subject, Mapping):
            continue
        prov.subject_names.append(_text(subject.get("name")))
        digests = subject.get("digest")
        if isinstance(digests, Mapping):
            prov.subject_digests.extend(f"{_text(a).lower()}:{_text(v).lower()}" for a, v in sorted(digests.items()))
    predicate = statement.get("predicate")
    if not isinstance(predicate, Mapping):
        predicate = statement.get("slsaProvenance")  # Google Cloud Build's unsigned copy
    if not isinstance(predicate, Mapping):
        return prov
    if prov.predicate_type.startswith(VSA_TYPE):
        _vsa(prov, predicate)
    elif "buildDefinition" in predicate or "runDetails" in predicate:
        _v1(prov, predicate)
    else:
        _v02(prov, predicate)
    return prov


def _v02(prov: Provenance, pred: Mapping[str, Any]) -> None:
    """SLSA provenance v0.2 (and v0.1, which names ``recipe`` instead of ``invocation``)."""
    prov.builder_id = _text(_get(pred, "builder", "id"))
    prov.build_type = _text(pred.get("buildType")) or _text(_get(pred, "recipe", "type"))
    config = _get(pred, "invocation", "configSource")
    if isinstance(config, Mapping):
        prov.source_repo, prov.source_ref = _repo(_text(config.get("uri")))
        prov.source_revision = _revision(config.get("digest"))
        if config.get("entryPoint"):
            prov.external_parameters.append(f"entryPoint={_text(config['entryPoint'])}")
    params = _get(pred, "invocation", "parameters")
    if isinstance(params, Mapping):
        prov.external_parameters.extend(_flatten(params))
    if not prov.source_repo:
        for material in _list(pred.get("materials")):
            if isinstance(material, Mapping) and material.get("uri"):
                prov.source_repo, prov.source_ref = _repo(_text(material["uri"]))
                prov.source_revision = _revision(material.get("digest"))
                break


def _v1(prov: Provenance, pred: Mapping[str, Any]) -> None:
    definition = pred.get("buildDefinition") if isinstance(pred.get("buildDefinition"), Mapping) else {}
    assert isinstance(definition, Mapping)
    prov.build_type = _text(definition.get("buildType"))
    prov.builder_id = _text(_get(pred, "runDetails", "builder", "id"))
    external = definition.get("externalParameters")
    if isinstance(external, Mapping):
        prov.external_parameters.extend(_flatten(external))
        workflow = external.get("workflow")
        if isinstance(workflow, Mapping) and workflow.get("repository"):
            prov.source_repo, _ = _repo(_text(workflow["repository"]))
            prov.source_ref = _text(workflow.get("ref"))
        elif isinstance(external.get("source"), (str, Mapping)):
            source = external["source"]
            uri = _text(source.get("uri")) if isinstance(source, Mapping) else _text(source)
            prov.source_repo, prov.source_ref = _repo(uri)
    for dep in _list(definition.get("resolvedDependencies")):
        if not isinstance(dep, Mapping):
            continue
        repo, ref = _repo(_text(dep.get("uri")))
        if not prov.source_repo:
            prov.source_repo, prov.source_ref = repo, ref
        if repo == prov.source_repo and not prov.source_revision:
            prov.source_revision = _revision(dep.get("digest"))


def _vsa(prov: Provenance, pred: Mapping[str, Any]) -> None:
    prov.builder_id = _text(_get(pred, "verifier", "id"))
    prov.verification_result = _text(pred.get("verificationResult"))
    for level in _list(pred.get("verifiedLevels")):
        match = re.search(r"SLSA_BUILD_LEVEL_(\d)", _text(level))
        if match:
            prov.claimed_levels.append(int(match.group(1)))


def provenance_fields(prov: Provenance) -> dict[str, FieldValue]:
    return {
        "attestation.statement_type": prov.statement_type,
        "attestation.predicate_type": prov.predicate_type,
        "attestation.subject_names": prov.subject_names,
        "attestation.subject_digests": prov.subject_digests,
        "attestation.builder_id": prov.builder_id,
        "attestation.build_type": prov.build_type,
        "attestation.source_repo": prov.source_repo,
        "attestation.source_ref": prov.source_ref,
        "attestation.source_revision": prov.source_revision,
        "attestation.external_parameters": prov.external_parameters[:64],
        "attestation.vsa_result": prov.verification_result,
    }


# --- policy ------------------------------------------------------------------------------------------------


def check_builder_identity(prov: Provenance, verdict: Verdict) -> None:
    """A GitHub workflow that signed with Fulcio must be the builder the provenance names.

    Otherwise any workflow with a Sigstore identity could sign provenance
    claiming to come from a trusted builder (slsa-verifier makes the same check).
    """
    signer, builder = verdict.signer, prov.builder_id
    if not (signer.startswith("https://github.com/") and builder.startswith("https://github.com/")):
        return
    if signer.split("@", 1)[0] != builder.split("@", 1)[0]:
        verdict.fail("builder_identity_mismatch", f"signed by {signer}, but the provenance claims builder {builder}")


def apply_policy(prov: Provenance, verdict: Verdict, policy: Mapping[str, Any], product: str = "") -> None:
    """Derive ``attestation.*`` policy booleans and record violations (only for keys the policy sets)."""
    out = verdict.fields
    builders = _builders(policy.get("trusted_builders"))
    if prov.builder_id and prov.is_provenance:
        trusted = _builder_level(prov.builder_id, builders) is not None
        out["attestation.builder_trusted"] = trusted
        if not trusted:
            verdict.violate("untrusted_builder", f"builder {prov.builder_id} is not a trusted builder (at a tag)")
    elif prov.is_provenance:
        out["attestation.builder_trusted"] = False
        verdict.violate("untrusted_builder", "provenance names no builder")
    out["attestation.slsa_level"] = slsa_level(prov, verdict, builders)
    expected = _expected_repos(policy.get("expected_source_repos"), product, prov.subject_names)
    if expected is not None and prov.is_provenance:
        ok = any(_repo(prov.source_repo)[0] == _repo(e)[0] for e in expected)
        out["attestation.source_repo_expected"] = ok
        if not ok:
            verdict.violate(
                "unexpected_source_repo", f"source {prov.source_repo or '(none)'} is not {', '.join(expected)}"
            )
    required = policy.get("required_slsa_level")
    if isinstance(required, int) and not isinstance(required, bool):
        out["attestation.slsa_level_required"] = required
        ok = int(out["attestation.slsa_level"] or 0) >= required  # type: ignore[arg-type]
        out["attestation.slsa_level_ok"] = ok
        if not ok:
            verdict.violate("slsa_level_below_policy", f"SLSA build level {out['attestation.slsa_level']} < {required}")
    allowed = policy.get("allowed_external_parameters")
    if allowed is not None and prov.is_provenance:
        bad = [p for p in prov.external_parameters if not _parameter_allowed(p, allowed)]
        out["attestation.external_parameters_allowed"] = not bad
        out["attestation.disallowed_parameters"] = bad[:32]
        if bad:
            verdict.violate("external_parameter_not_allowed", f"external parameters not allowed: {', '.join(bad[:5])}")
    signers = policy.get("required_signers")
    if signers and verdict.signed:
        ok = _signer_allowed(verdict.signer, verdict.signer_issuer, verdict.key_id, signers)
        out["attestation.signer_allowed"] = ok
        if not ok:
            verdict.violate(
                "signer_not_allowed", f"signer {verdict.signer or verdict.key_id or '(unknown)'} not required"
            )


def slsa_level(prov: Provenance, verdict: Verdict, builders: Mapping[str, int]) -> int:
    """SLSA build level this attestation *demonstrates* (claims count only once verified).

    L1: provenance exists. L2: it is signed and verified, and names a
    hosted builder. L3: additionally the builder is trusted at L3 (by
    default the hardened slsa-github-generator workflows and GCB).
    """
    verified = verdict.integrity == "verified"
    if prov.predicate_type.startswith(VSA_TYPE):
        passed = prov.verification_result.upper() == "PASSED"
        return max(prov.claimed_levels) if verified and passed and prov.claimed_levels else 0
    if not prov.is_provenance:
        return 0
    if not verified or not prov.builder_id:
        return 1
    level = _builder_level(prov.builder_id, builders)
    return 3 if level is not None and level >= 3 else 2


def _builders(raw: Any) -> dict[str, int]:
    if isinstance(raw, Mapping):
        return {str(k): int(v) if isinstance(v, int) else 3 for k, v in raw.items()}
    if isinstance(raw, list):
        return {str(v): 3 for v in raw}
    return dict(DEFAULT_TRUSTED_BUILDERS)


def _builder_level(builder_id: str, builders: Mapping[str, int]) -> int | None:
    """Exact ids match as given; ids without ``@ref`` (or wildcards) match any *tag* of that builder."""
    base, _, ref = builder_id.partition("@")
    for pattern, level in builders.items():
        if builder_id == pattern:
            return level
        if "@" in pattern:
            continue
        if fnmatch.fnmatchcase(base, pattern) or base == pattern:
            github = base.startswith("https://github.com/")
            if not github or ref.startswith("refs/tags/"):
                return level
    return None


def _expected_repos(raw: Any, product: str, subjects: Iterable[str]) -> list[str] | None:
    if isinstance(raw, list):
        return [str(r) for r in raw]
    if isinstance(raw, str):
        return [raw]
    if not isinstance(raw, Mapping):
        return None
    names = [product, *subjects]
    for key, repos in raw.items():
        if any(n and fnmatch.fnmatchcase(n, str(key)) for n in names):
            return [repos] if isinstance(repos, str) else [str(r) for r in repos]
    return None


def _parameter_allowed(param: str, allowed: Any) -> bool:
    name, _, value = param.partition("=")
    if isinstance(allowed, Mapping):
        for key, values in allowed.items():
            if name == key or name.startswith(f"{key}."):
                if values in (None, "*"):
                    return True
                options = [values] if isinstance(values, str) else list(values)
                return any(fnmatch.fnmatchcase(value, str(o)) for o in options)
        return False
    if isinstance(allowed, list):
        return any(name == str(a) or name.startswith(f"{a}.") for a in allowed)
    return True


def _signer_allowed(signer: str, issuer: str, key_id: str, required: Any) -> bool:
    entries = required if isinstance(required, list) else [required]
    for entry in entries:
        if isinstance(entry, Mapping):
            ident = str(entry.get("identity", ""))
            want_issuer = str(entry.get("issuer", ""))
            if fnmatch.fnmatchcase(signer, ident) and (not want_issuer or want_issuer == issuer):
                return True
        elif fnmatch.fnmatchcase(signer, str(entry)) or (key_id and key_id == str(entry)):
            return True
    return False


def _repo(uri: str) -> tuple[str, str]:
    """``git+https://github.com/o/r@refs/tags/v1`` -> (``https://github.com/o/r``, ``refs/tags/v1``)."""
    uri = uri.strip().removeprefix("git+")
    ref = ""
    if "@" in uri.split("://", 1)[-1]:
        uri, _, ref = uri.rpartition("@")
    return uri.removesuffix(".git").rstrip("/"), ref


def _revision(digest: Any) -> str:
    if isinstance(digest, Mapping):
        for key in ("gitCommit", "sha1", "sha256"):
            if digest.get(key):
                return _text(digest[key])
    return ""


def _flatten(obj: Mapping[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.extend(_flatten(value, name + "."))
        elif isinstance(value, list):
            out.append(f"{name}={','.join(_text(v) for v in value)}")
        elif value is not None and value != "":
            out.append(f"{name}={_text(value)}"[:200])
    return out


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _text(value: Any) -> str:
    return "" if value is None or isinstance(value, (dict, list)) else str(value)
