"""Normalisers on AWS-shaped answers moto cannot produce (tunnel options, Greengrass v2, SiteWise, CA certificates)."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.scanners.cloud.conftest import findings, names
from xposture.rules.engine import RuleSet
from xposture.scanners.cloud.common import Where
from xposture.scanners.cloud.norm_iot import (
    greengrass_core_records,
    iot_certificate_records,
    iot_policy_records,
    region_records,
    role_alias_records,
    sitewise_gateway_records,
)
from xposture.scanners.cloud.norm_vpn import vpn_connection_records
from xposture.scanners.cloud.policy import analyse

NOW = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
WHERE = Where(scanner="aws", account_id="123456789012", region="ap-northeast-1", now=NOW)


def _pem(bits: int, not_before: dt.datetime, not_after: dt.datetime) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "plc-line1")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    from cryptography.hazmat.primitives.serialization import Encoding

    return cert.public_bytes(Encoding.PEM).decode()


def test_vpn_tunnel_options(pack: RuleSet) -> None:
    strict = {
        "OutsideIpAddress": "52.0.0.1",
        "IkeVersions": [{"Value": "ikev2"}],
        "Phase1DHGroupNumbers": [{"Value": 20}],
        "Phase2DHGroupNumbers": [{"Value": 20}],
        "Phase1IntegrityAlgorithms": [{"Value": "SHA2-384"}],
        "Phase2IntegrityAlgorithms": [{"Value": "SHA2-384"}],
        "Phase1EncryptionAlgorithms": [{"Value": "AES256-GCM-16"}],
        "Phase2EncryptionAlgorithms": [{"Value": "AES256-GCM-16"}],
        "LogOptions": {"CloudWatchLogOptions": {"LogEnabled": True}},
    }
    defaults = {"OutsideIpAddress": "52.0.0.2"}
    connection = {
        "VpnConnectionId": "vpn-1",
        "State": "available",
        "CustomerGatewayId": "cgw-1",
        "VpnGatewayId": "vgw-1",
        "Options": {"TunnelOptions": [strict, defaults]},
        "VgwTelemetry": [
            {"OutsideIpAddress": "52.0.0.1", "Status": "UP"},
            {"OutsideIpAddress": "52.0.0.2", "Status": "DOWN"},
        ],
    }
    records = list(vpn_connection_records(connection, WHERE, {"cgw-1": {"IpAddress": "198.51.100.7"}}))
    links = {r["link.local_endpoint"]: r for r in records if r["record.type"] == "comms_link"}
    assert links["52.0.0.1"]["vpn.ikev1_allowed"] is False and links["52.0.0.1"]["link.up"] is True
    assert links["52.0.0.2"]["vpn.ikev1_allowed"] is True and links["52.0.0.2"]["vpn.weak_dh_allowed"] is True
    found = findings(pack, records)
    per_tunnel = {key: {rule for rule, _, k in found if k == key} for key in ("tunnel1/52.0.0.1", "tunnel2/52.0.0.2")}
    assert per_tunnel["tunnel1/52.0.0.1"] == set()
    assert per_tunnel["tunnel2/52.0.0.2"] == {
        "cloud.vpn_ikev1_allowed",
        "cloud.vpn_weak_dh_group",
        "cloud.vpn_sha1_allowed",
        "cloud.vpn_tunnel_down",
        "cloud.vpn_tunnel_logging_off",
    }


def test_iot_certificates(pack: RuleSet) -> None:
    expired = _pem(2048, NOW - dt.timedelta(days=800), NOW - dt.timedelta(days=2))
    weak = _pem(1024, NOW - dt.timedelta(days=10), NOW + dt.timedelta(days=20))
    records = [
        *iot_certificate_records(
            {"certificateId": "ca1", "status": "INACTIVE", "certificatePem": weak}, WHERE, ca=True
        ),
        *iot_certificate_records(
            {"certificateId": "d1", "status": "ACTIVE", "certificatePem": expired, "caCertificateId": "ca1"},
            WHERE,
            things=1,
            ca_status="INACTIVE",
        ),
        *iot_certificate_records({"certificateId": "d2", "status": "ACTIVE", "certificatePem": weak}, WHERE, things=0),
    ]
    found = findings(pack, records)
    by_cert = {cert: {rule for rule, asset, _ in found if asset.endswith("/" + cert)} for cert in ("ca1", "d1", "d2")}
    assert by_cert["d1"] == {"cloud.iot_cert_expired", "cloud.iot_cert_under_inactive_ca", "cloud.iot_cert_aged"}
    assert by_cert["d2"] == {"cloud.iot_cert_weak_key", "cloud.iot_cert_expiring", "cloud.iot_cert_active_unused"}
    assert by_cert["ca1"] == {"cloud.iot_cert_weak_key"}  # inactive: not expiring-relevant


def test_iot_policies_and_role_aliases(pack: RuleSet) -> None:
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iot:Connect"],
                "Resource": ["arn:aws:iot:ap-northeast-1:123456789012:client/*"],
            },
            {
                "Effect": "Allow",
                "Action": ["iot:Subscribe"],
                "Resource": ["arn:aws:iot:ap-northeast-1:123456789012:topicfilter/#"],
            },
            {
                "Effect": "Deny",
                "Action": ["iot:Publish"],
                "Resource": ["arn:aws:iot:ap-northeast-1:123456789012:topic/plant/*"],
            },
        ],
    }
    records = [
        *iot_policy_records({"policyName": "broad"}, deny, 3, WHERE),
        *role_alias_records(
            {
                "roleAlias": "uploader",
                "roleArn": "arn:aws:iam::123456789012:role/up",
                "credentialDurationSeconds": 43200,
            },
            analyse({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
            WHERE,
        ),
    ]
    assert names(findings(pack, records)) == {
        "cloud.iot_policy_connect_any_client",
        "cloud.iot_policy_all_topics",
        "cloud.iot_policy_deny_wildcard",
        "cloud.iot_role_alias_overly_permissive",
        "cloud.iot_role_alias_long_credentials",
    }


def test_greengrass_sitewise_and_region(pack: RuleSet) -> None:
    records = [
        *greengrass_core_records(
            {"coreDeviceThingName": "edge-1", "status": "UNHEALTHY", "lastStatusUpdateTimestamp": NOW}, WHERE
        ),
        *greengrass_core_records({"coreDeviceThingName": "edge-2", "status": "HEALTHY"}, WHERE),
        *sitewise_gateway_records(
            {
                "gatewayId": "gw-1",
                "gatewayName": "line1",
                "gatewayPlatform": {"greengrassV2": {"coreDeviceThingName": "edge-1"}},
                "gatewayCapabilitySummaries": [
                    {"capabilityNamespace": "iotsitewise:opcuacollector:2", "capabilitySyncStatus": "SYNC_FAILED"}
                ],
            },
            WHERE,
        ),
        *region_records(
            {
                "region.iot_logging_enabled": False,
                "region.sitewise_kms": False,
                "region.sitewise_encryption_type": "SITEWISE_DEFAULT_ENCRYPTION",
            },
            WHERE,
        ),
    ]
    found = findings(pack, records)
    assert names(found) == {
        "cloud.greengrass_core_unhealthy",
        "cloud.sitewise_gateway_out_of_sync",
        "cloud.iot_logging_disabled",
        "cloud.sitewise_default_encryption",
    }
    assert {asset for rule, asset, _ in found if rule == "cloud.iot_logging_disabled"} == {
        "aws:123456789012/ap-northeast-1"
    }
