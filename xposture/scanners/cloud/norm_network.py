"""EC2 and VPC shapes (DescribeSecurityGroups, DescribeInstances, ...) to records.

Security groups become one record per rule tuple (protocol x port range x
source) because "open to the internet on 502" must hold per rule, not
across a group's list of rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from xposture.model import FieldValue, Record
from xposture.scanners.cloud.common import Where, as_bool, resource_record, strings, tag_map, with_inventory

ADMIN_TCP = (21, 22, 23, 3389, 5900, 5985, 5986)
ICS_TCP = (102, 502, 1883, 2404, 4840, 20000, 44818)
ICS_UDP = (2222, 20000, 44818, 47808)
ADMIN_UDP: tuple[int, ...] = ()
INTERNET = ("0.0.0.0/0", "::/0")
PROTOCOLS = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


def protocol_name(raw: Any) -> str:
    text = str(raw).lower() if raw is not None else "all"
    return PROTOCOLS.get(text, text)


def _ports_in(candidates: Sequence[int], low: int, high: int) -> list[int]:
    return [p for p in candidates if low <= p <= high]


def _sources(permission: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(source, kind, description) for every peer a permission names."""
    for item in permission.get("IpRanges", []) or []:
        yield str(item.get("CidrIp", "")), "cidr4", str(item.get("Description", "") or "")
    for item in permission.get("Ipv6Ranges", []) or []:
        yield str(item.get("CidrIpv6", "")), "cidr6", str(item.get("Description", "") or "")
    for item in permission.get("UserIdGroupPairs", []) or []:
        yield (
            str(item.get("GroupId", item.get("GroupName", ""))),
            "security_group",
            str(item.get("Description", "") or ""),
        )
    for item in permission.get("PrefixListIds", []) or []:
        yield str(item.get("PrefixListId", "")), "prefix_list", str(item.get("Description", "") or "")


def security_group_records(
    group: Mapping[str, Any], where: Where, api: str = "ec2:DescribeSecurityGroups"
) -> Iterator[Record]:
    """One ``aws_security_group`` record and one ``aws_security_group_rule`` per rule tuple."""
    group_id = str(group.get("GroupId", ""))
    owner = str(group.get("OwnerId", "") or where.account_id)
    here = where.at(account_id=owner)
    arn = str(group.get("SecurityGroupArn", "")) or here.arn("ec2", f"security-group/{group_id}")
    name = str(group.get("GroupName", ""))
    tags = tag_map(group.get("Tags"))
    common: dict[str, FieldValue] = {"sg.group_id": group_id, "sg.group_name": name, "sg.vpc_id": group.get("VpcId")}
    rules: list[Record] = []
    for direction, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
        for permission in group.get(key, []) or []:
            protocol = protocol_name(permission.get("IpProtocol"))
            everything = protocol == "all"
            low = 0 if everything or permission.get("FromPort") in (None, -1) else int(permission["FromPort"])
            high = 65535 if everything or permission.get("ToPort") in (None, -1) else int(permission["ToPort"])
            if protocol in ("icmp", "icmpv6"):
                low, high = -1, -1
            tcp = everything or protocol == "tcp"
            udp = everything or protocol == "udp"
            admin = sorted(
                set(_ports_in(ADMIN_TCP, low, high) if tcp else [])
                | set(_ports_in(ADMIN_UDP, low, high) if udp else [])
            )
            ics = sorted(
                set(_ports_in(ICS_TCP, low, high) if tcp else []) | set(_ports_in(ICS_UDP, low, high) if udp else [])
            )
            port_text = "any" if low == -1 else (str(low) if low == high else f"{low}-{high}")
            for source, kind, description in _sources(permission):
                fields: dict[str, FieldValue] = dict(common)
                fields.update(
                    {
                        "rule.direction": direction,
                        "rule.protocol": protocol,
                        "rule.from_port": low,
                        "rule.to_port": high,
                        "rule.ports": port_text,
                        "rule.source": source,
                        "rule.source_kind": kind,
                        "rule.internet_open": source in INTERNET,
                        "rule.all_ports": low <= 0 and high >= 65535,
                        "rule.admin_ports": admin,
                        "rule.ics_ports": ics,
                        "rule.description": description or None,
                    }
                )
                rules.append(
                    resource_record(
                        "aws_security_group_rule",
                        here,
                        arn=arn,
                        key=f"{direction}/{protocol}/{port_text}/{source}",
                        service="ec2",
                        resource_type="AWS::EC2::SecurityGroup",
                        resource_id=group_id,
                        name=name,
                        api=api,
                        tags=tags,
                        fields=fields,
                    )
                )
    ingress = [r for r in rules if r["rule.direction"] == "ingress"]
    fields = dict(common)
    fields.update(
        {
            "sg.default": name == "default",
            "sg.ingress_rules": len(ingress),
            "sg.egress_rules": len(rules) - len(ingress),
            "sg.internet_ingress": any(r["rule.internet_open"] for r in ingress),
        }
    )
    summary = resource_record(
        "aws_security_group",
        here,
        arn=arn,
        key="group",
        service="ec2",
        resource_type="AWS::EC2::SecurityGroup",
        resource_id=group_id,
        name=name,
        api=api,
        tags=tags,
        fields=fields,
    )
    yield from with_inventory(summary)
    yield from rules


def instance_records(instance: Mapping[str, Any], where: Where, api: str = "ec2:DescribeInstances") -> Iterator[Record]:
    """One ``aws_ec2_instance`` per instance: public exposure, IMDSv2, profile, network placement."""
    instance_id = str(instance.get("InstanceId", ""))
    tags = tag_map(instance.get("Tags"))
    arn = where.arn("ec2", f"instance/{instance_id}")
    public_ip = instance.get("PublicIpAddress") or None
    metadata = instance.get("MetadataOptions") or {}
    tokens = metadata.get("HttpTokens")
    profile = instance.get("IamInstanceProfile") or {}
    state = instance.get("State") or {}
    record = resource_record(
        "aws_ec2_instance",
        where,
        arn=arn,
        key="instance",
        service="ec2",
        resource_type="AWS::EC2::Instance",
        resource_id=instance_id,
        name=tags.get("Name", instance_id),
        api=api,
        tags=tags,
        fields={
            "instance.id": instance_id,
            "instance.type": instance.get("InstanceType"),
            "instance.state": state.get("Name") if isinstance(state, Mapping) else str(state),
            "instance.image_id": instance.get("ImageId"),
            "instance.public_ip": public_ip,
            "instance.public": public_ip is not None,
            "instance.private_ip": instance.get("PrivateIpAddress"),
            "instance.vpc_id": instance.get("VpcId"),
            "instance.subnet_id": instance.get("SubnetId"),
            "instance.security_groups": strings(g.get("GroupId") for g in instance.get("SecurityGroups", []) or []),
            "instance.iam_profile_arn": profile.get("Arn") if isinstance(profile, Mapping) else None,
            "instance.imdsv2_required": None if tokens is None else tokens == "required",
            "instance.imds_enabled": None if "HttpEndpoint" not in metadata else metadata["HttpEndpoint"] == "enabled",
            "instance.platform": instance.get("PlatformDetails") or instance.get("Platform"),
        },
    )
    yield from with_inventory(record)


def volume_records(volume: Mapping[str, Any], where: Where, api: str = "ec2:DescribeVolumes") -> Iterator[Record]:
    """One ``aws_ebs_volume`` per volume: encryption at rest and attachment."""
    volume_id = str(volume.get("VolumeId", ""))
    tags = tag_map(volume.get("Tags"))
    record = resource_record(
        "aws_ebs_volume",
        where,
        arn=where.arn("ec2", f"volume/{volume_id}"),
        key="volume",
        service="ec2",
        resource_type="AWS::EC2::Volume",
        resource_id=volume_id,
        name=tags.get("Name", volume_id),
        api=api,
        tags=tags,
        fields={
            "volume.id": volume_id,
            "volume.encrypted": as_bool(volume.get("Encrypted")) is True,
            "volume.kms_key_id": volume.get("KmsKeyId"),
            "volume.size_gib": volume.get("Size"),
            "volume.state": volume.get("State"),
            "volume.attached_instances": strings(a.get("InstanceId") for a in volume.get("Attachments", []) or []),
        },
    )
    yield from with_inventory(record)


def vpc_records(
    vpc: Mapping[str, Any], flow_logs: Sequence[Mapping[str, Any]] | None, where: Where, api: str = "ec2:DescribeVpcs"
) -> Iterator[Record]:
    """One ``aws_vpc`` per VPC with its flow-log state; ``flow_logs`` None means 'could not be read'."""
    vpc_id = str(vpc.get("VpcId", ""))
    tags = tag_map(vpc.get("Tags"))
    fields: dict[str, FieldValue] = {
        "vpc.id": vpc_id,
        "vpc.cidr": vpc.get("CidrBlock"),
        "vpc.is_default": as_bool(vpc.get("IsDefault")) is True,
    }
    if flow_logs is not None:
        mine = [f for f in flow_logs if f.get("ResourceId") == vpc_id]
        active = [
            f for f in mine if f.get("FlowLogStatus", "ACTIVE") == "ACTIVE" and not f.get("DeliverLogsErrorMessage")
        ]
        fields["vpc.flow_logs"] = len(mine)
        fields["vpc.flow_logs_active"] = len(active)
        fields["vpc.flow_logs_enabled"] = bool(active)
        fields["vpc.flow_logs_traffic_types"] = strings(f.get("TrafficType") for f in active)
    record = resource_record(
        "aws_vpc",
        where.at(account_id=str(vpc.get("OwnerId", "") or where.account_id)),
        arn=where.at(account_id=str(vpc.get("OwnerId", "") or where.account_id)).arn("ec2", f"vpc/{vpc_id}"),
        key="vpc",
        service="ec2",
        resource_type="AWS::EC2::VPC",
        resource_id=vpc_id,
        name=tags.get("Name", vpc_id),
        api=api,
        tags=tags,
        fields=fields,
    )
    yield from with_inventory(record)
