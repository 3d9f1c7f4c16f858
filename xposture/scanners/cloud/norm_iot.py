"""IoT Core, Greengrass and SiteWise shapes to records: the plant's side of the cloud.

Prowler has no IoT checks; these follow AWS IoT Device Defender's audit list
(overly permissive policies, wildcards in Deny statements, expiring, aged
and unused certificates, certificates under a deactivated CA, role aliases,
logging) plus Greengrass core health and SiteWise gateway sync state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from xposture.model import FieldValue, Record
from xposture.scanners.cloud.common import Where, days_since, days_until, resource_record, strings, with_inventory
from xposture.scanners.cloud.policy import PolicyFacts, allowed_pairs, analyse


def _grants(pairs: Sequence[tuple[str, str]], action: str, kinds: Sequence[str]) -> bool:
    """True when some Allow covers ``action`` on every resource of one of ``kinds`` (``client/*`` ...)."""
    for granted, resource in pairs:
        if not fnmatchcase(action, granted):
            continue
        if resource == "*" or any(resource.endswith((f":{k}/*", f":{k}/#")) for k in kinds):
            return True
    return False


def iot_policy_records(
    policy: Mapping[str, Any], document: Any, targets: int | None, where: Where, api: str = "iot:GetPolicy"
) -> Iterator[Record]:
    """One ``aws_iot_policy`` per IoT Core policy with Device Defender's overly-permissive facts."""
    name = str(policy.get("policyName", ""))
    facts = analyse(document, service="iot")
    pairs = allowed_pairs(document)
    fields: dict[str, FieldValue] = {
        "iot_policy.name": name,
        "iot_policy.version": str(policy["defaultVersionId"]) if policy.get("defaultVersionId") else None,
        "iot_policy.attached_targets": targets,
        "policy.parsed": facts.parsed,
        "policy.admin": facts.admin,
        "policy.wildcard_actions": facts.wildcard_actions,
        "policy.wildcard_resources": facts.wildcard_resources,
        "policy.deny_with_wildcard": facts.deny_with_wildcard,
        "iot_policy.connect_any_client": _grants(pairs, "iot:connect", ["client"]),
        "iot_policy.publish_all_topics": _grants(pairs, "iot:publish", ["topic"]),
        "iot_policy.subscribe_all_topics": _grants(pairs, "iot:subscribe", ["topicfilter"]),
        "iot_policy.receive_all_topics": _grants(pairs, "iot:receive", ["topic"]),
        "iot_policy.shadow_all_things": _grants(pairs, "iot:updatethingshadow", ["thing"]),
    }
    record = resource_record(
        "aws_iot_policy",
        where,
        arn=str(policy.get("policyArn", "")) or where.arn("iot", f"policy/{name}"),
        key="policy",
        service="iot",
        resource_type="AWS::IoT::Policy",
        resource_id=name,
        name=name,
        api=api,
        fields=fields,
    )
    yield from with_inventory(record)


def _pem_facts(pem: Any, now: dt.datetime) -> dict[str, FieldValue]:
    if not isinstance(pem, str) or "BEGIN CERTIFICATE" not in pem:
        return {}
    try:
        cert = x509.load_pem_x509_certificate(pem.encode("ascii", "replace"))
    except ValueError:
        return {"cert.parsed": False}
    key = cert.public_key()
    algorithm, bits = "other", None
    if isinstance(key, rsa.RSAPublicKey):
        algorithm, bits = "rsa", key.key_size
    elif isinstance(key, ec.EllipticCurvePublicKey):
        algorithm, bits = "ec", key.curve.key_size
    hash_name = cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else None
    return {
        "cert.parsed": True,
        "cert.not_after": cert.not_valid_after_utc.isoformat(),
        "cert.days_to_expiry": days_until(cert.not_valid_after_utc, now),
        "cert.age_days": days_since(cert.not_valid_before_utc, now),
        "cert.key_algorithm": algorithm,
        "cert.key_bits": bits,
        "cert.signature_hash": hash_name,
        "cert.weak_key": (algorithm == "rsa" and (bits or 0) < 2048) or (algorithm == "ec" and (bits or 0) < 256),
    }


def iot_certificate_records(
    description: Mapping[str, Any],
    where: Where,
    *,
    ca: bool = False,
    things: int | None = None,
    ca_status: str | None = None,
    api: str = "iot:DescribeCertificate",
) -> Iterator[Record]:
    """One ``aws_iot_certificate`` per device or CA certificate; expiry and key facts from its PEM."""
    cert_id = str(description.get("certificateId", ""))
    status = str(description.get("status", "")) or None
    fields: dict[str, FieldValue] = {
        "cert.id": cert_id,
        "cert.kind": "ca" if ca else "device",
        "cert.status": status,
        "cert.active": status == "ACTIVE",
        "cert.ca_certificate_id": description.get("caCertificateId"),
        "cert.attached_things": things,
        "cert.issuer_ca_status": ca_status,
        "cert.mode": description.get("certificateMode"),
    }
    fields.update(_pem_facts(description.get("certificatePem"), where.now))
    validity = description.get("validity") or {}
    if validity.get("notAfter") is not None and not fields.get("cert.parsed"):
        fields["cert.days_to_expiry"] = days_until(validity["notAfter"], where.now)
        fields["cert.age_days"] = days_since(validity.get("notBefore"), where.now)
    if "cert.days_to_expiry" not in fields and description.get("creationDate") is not None:
        fields["cert.age_days"] = days_since(description.get("creationDate"), where.now)
    kind = "cacert" if ca else "cert"
    record = resource_record(
        "aws_iot_certificate",
        where,
        arn=str(description.get("certificateArn", "")) or where.arn("iot", f"{kind}/{cert_id}"),
        key="certificate",
        service="iot",
        resource_type="AWS::IoT::CACertificate" if ca else "AWS::IoT::Certificate",
        resource_id=cert_id,
        name=cert_id[:16],
        api=api,
        fields=fields,
    )
    yield from with_inventory(record)


def iot_thing_records(
    thing: Mapping[str, Any], principals: int | None, where: Where, api: str = "iot:ListThings"
) -> Iterator[Record]:
    """One ``aws_iot_thing`` per registered device."""
    name = str(thing.get("thingName", ""))
    record = resource_record(
        "aws_iot_thing",
        where,
        arn=str(thing.get("thingArn", "")) or where.arn("iot", f"thing/{name}"),
        key="thing",
        service="iot",
        resource_type="AWS::IoT::Thing",
        resource_id=name,
        name=name,
        api=api,
        fields={
            "thing.name": name,
            "thing.type": thing.get("thingTypeName"),
            "thing.principals": principals,
            "thing.attributes": strings(f"{k}={v}" for k, v in (thing.get("attributes") or {}).items()),
        },
    )
    yield from with_inventory(record)


def role_alias_records(
    alias: Mapping[str, Any], role_policy: PolicyFacts | None, where: Where, api: str = "iot:DescribeRoleAlias"
) -> Iterator[Record]:
    """One ``aws_iot_role_alias``: what the IAM role behind a device's credential provider may do."""
    name = str(alias.get("roleAlias", ""))
    fields: dict[str, FieldValue] = {
        "role_alias.name": name,
        "role_alias.role_arn": alias.get("roleArn"),
        "role_alias.credential_duration_s": alias.get("credentialDurationSeconds"),
    }
    if role_policy is not None:
        fields["role_alias.role_admin"] = role_policy.admin
        fields["role_alias.role_wildcard_actions"] = role_policy.wildcard_actions
        fields["role_alias.role_services"] = sorted(
            {a.split(":", 1)[0].lower() for a in role_policy.actions if ":" in a}
        )
    record = resource_record(
        "aws_iot_role_alias",
        where,
        arn=str(alias.get("roleAliasArn", "")) or where.arn("iot", f"rolealias/{name}"),
        key="role_alias",
        service="iot",
        resource_type="AWS::IoT::RoleAlias",
        resource_id=name,
        name=name,
        api=api,
        fields=fields,
    )
    yield from with_inventory(record)


def greengrass_core_records(
    core: Mapping[str, Any], where: Where, api: str = "greengrassv2:ListCoreDevices"
) -> Iterator[Record]:
    """One ``aws_greengrass_core_device`` per Greengrass v2 core: health and software."""
    thing = str(core.get("coreDeviceThingName", ""))
    status = core.get("status")
    record = resource_record(
        "aws_greengrass_core_device",
        where,
        arn=where.arn("greengrass", f"coreDevices:{thing}"),
        key="core_device",
        service="greengrass",
        resource_type="AWS::GreengrassV2::CoreDevice",
        resource_id=thing,
        name=thing,
        api=api,
        fields={
            "gg.thing_name": thing,
            "gg.status": status,
            "gg.healthy": None if status is None else status == "HEALTHY",
            "gg.core_version": core.get("coreVersion"),
            "gg.platform": core.get("platform"),
            "gg.architecture": core.get("architecture"),
            "gg.last_status_update_days": days_since(core.get("lastStatusUpdateTimestamp"), where.now),
        },
    )
    yield from with_inventory(record)


def sitewise_gateway_records(
    gateway: Mapping[str, Any], where: Where, api: str = "iotsitewise:DescribeGateway"
) -> Iterator[Record]:
    """One ``aws_sitewise_gateway`` per SiteWise Edge gateway with its capability sync state."""
    gateway_id = str(gateway.get("gatewayId", ""))
    platform = gateway.get("gatewayPlatform") or {}
    sync = [str(c.get("capabilitySyncStatus")) for c in gateway.get("gatewayCapabilitySummaries", []) or []]
    kind = next((k for k in ("greengrassV2", "greengrass", "siemensIE") if k in platform), None)
    record = resource_record(
        "aws_sitewise_gateway",
        where,
        arn=str(gateway.get("gatewayArn", "")) or where.arn("iotsitewise", f"gateway/{gateway_id}"),
        key="gateway",
        service="iotsitewise",
        resource_type="AWS::IoTSiteWise::Gateway",
        resource_id=gateway_id,
        name=str(gateway.get("gatewayName", gateway_id)),
        api=api,
        fields={
            "sitewise.gateway_id": gateway_id,
            "sitewise.platform": kind,
            "sitewise.capability_sync": strings(sync),
            "sitewise.out_of_sync": any(s in ("OUT_OF_SYNC", "SYNC_FAILED") for s in sync),
            "sitewise.last_update_days": days_since(gateway.get("lastUpdateDate"), where.now),
        },
    )
    yield from with_inventory(record)


def region_records(facts: Mapping[str, FieldValue], where: Where, api: str = "") -> Iterator[Record]:
    """One ``aws_region`` per account x region with the regional switches (EBS default, IoT logging, SiteWise)."""
    if not facts:
        return
    yield resource_record(
        "aws_region",
        where,
        arn=f"aws:{where.account_id}/{where.region}",
        key="region",
        service="account",
        resource_type="AWS::Region",
        resource_id=where.region,
        name=f"{where.account_id}/{where.region}",
        api=api or None,
        fields={"region.name": where.region, **facts},
    )
