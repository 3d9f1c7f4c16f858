"""Build one small plant-like AWS account on moto, with a resource that triggers and one that does not for each rule."""

from __future__ import annotations

import json
from typing import Any

import boto3

ALLOW_ALL_IOT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]}
SCOPED_IOT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "iot:Connect",
            "Resource": "arn:aws:iot:us-east-1:123456789012:client/${iot:Connection.Thing.ThingName}",
        },
        {
            "Effect": "Allow",
            "Action": "iot:Publish",
            "Resource": "arn:aws:iot:us-east-1:123456789012:topic/plant/line1/*",
        },
    ],
}
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ_ONLY_S3 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::plant-lake/*"}],
}


def build(region: str = "us-east-1") -> dict[str, Any]:
    """Create the resources; returns ids the tests assert on."""
    session = boto3.Session(region_name=region)
    ec2, s3, iam = session.client("ec2"), session.client("s3"), session.client("iam")
    ids: dict[str, Any] = {}
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    ids["vpc_logged"] = vpc
    s3.create_bucket(Bucket="flow-logs-bucket")
    s3.put_bucket_acl(
        Bucket="flow-logs-bucket",
        GrantWrite="uri=http://acs.amazonaws.com/groups/s3/LogDelivery",
        GrantReadACP="uri=http://acs.amazonaws.com/groups/s3/LogDelivery",
    )
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::flow-logs-bucket",
    )
    open_sg = ec2.create_security_group(GroupName="gateway-open", Description="bad", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=open_sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 502, "ToPort": 502, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
            {"IpProtocol": "udp", "FromPort": 47808, "ToPort": 47808, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        ],
    )
    closed_sg = ec2.create_security_group(GroupName="gateway-closed", Description="good", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=closed_sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 502, "ToPort": 502, "IpRanges": [{"CidrIp": "10.10.0.0/16"}]},
            {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "10.10.5.20/32"}]},
        ],
    )
    ids.update(open_sg=open_sg, closed_sg=closed_sg)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ids["imdsv1"] = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, MetadataOptions={"HttpTokens": "optional"}
    )["Instances"][0]["InstanceId"]
    ids["imdsv2"] = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, MetadataOptions={"HttpTokens": "required"}
    )["Instances"][0]["InstanceId"]
    ids["vol_plain"] = ec2.create_volume(AvailabilityZone=f"{region}a", Size=8)["VolumeId"]
    ids["vol_encrypted"] = ec2.create_volume(AvailabilityZone=f"{region}a", Size=8, Encrypted=True)["VolumeId"]
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="203.0.113.5", BgpAsn=65000)["CustomerGateway"][
        "CustomerGatewayId"
    ]
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    ids["vpn"] = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw, VpnGatewayId=vgw)["VpnConnection"][
        "VpnConnectionId"
    ]

    s3.create_bucket(Bucket="plant-lake-public")
    everyone = "uri=http://acs.amazonaws.com/groups/global/AllUsers"
    s3.put_bucket_acl(Bucket="plant-lake-public", GrantRead=everyone, GrantWrite=everyone)
    s3.create_bucket(Bucket="plant-lake")
    s3.put_public_access_block(
        Bucket="plant-lake",
        PublicAccessBlockConfiguration={
            k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        },
    )
    s3.put_bucket_versioning(Bucket="plant-lake", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket="plant-lake",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    s3.put_bucket_logging(
        Bucket="plant-lake",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "flow-logs-bucket", "TargetPrefix": "s3/"}},
    )
    s3.put_bucket_policy(
        Bucket="plant-lake",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": "arn:aws:s3:::plant-lake/*",
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            }
        ),
    )

    iam.create_user(UserName="operator")
    iam.create_login_profile(UserName="operator", Password="Correct-horse-9")
    iam.create_user(UserName="historian-svc")
    iam.create_access_key(UserName="historian-svc")
    admin = iam.create_policy(PolicyName="plant-admin", PolicyDocument=json.dumps(ADMIN))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="operator", PolicyArn=admin)
    reader = iam.create_policy(PolicyName="lake-reader", PolicyDocument=json.dumps(READ_ONLY_S3))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="historian-svc", PolicyArn=reader)

    kms = session.client("kms")
    ids["key_static"] = kms.create_key(Description="no rotation")["KeyMetadata"]["KeyId"]
    ids["key_rotated"] = kms.create_key(Description="rotated")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=ids["key_rotated"])

    trails = session.client("cloudtrail")
    s3.create_bucket(Bucket="trail-logs")
    trails.create_trail(
        Name="org-trail",
        S3BucketName="trail-logs",
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId=ids["key_rotated"],
    )
    trails.start_logging(Name="org-trail")
    trails.create_trail(Name="stopped-trail", S3BucketName="trail-logs")

    rds = session.client("rds")
    rds.create_db_instance(
        DBInstanceIdentifier="historian-public",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin1",
        MasterUserPassword="password-123",
        PubliclyAccessible=True,
        StorageEncrypted=False,
    )
    rds.create_db_instance(
        DBInstanceIdentifier="historian-private",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin1",
        MasterUserPassword="password-123",
        PubliclyAccessible=False,
        StorageEncrypted=True,
    )

    iot = session.client("iot")
    iot.create_policy(policyName="everything", policyDocument=json.dumps(ALLOW_ALL_IOT))
    iot.create_policy(policyName="line1-device", policyDocument=json.dumps(SCOPED_IOT))
    unused = iot.create_keys_and_certificate(setAsActive=True)
    used = iot.create_keys_and_certificate(setAsActive=True)
    iot.create_thing(thingName="plc-line1")
    iot.attach_thing_principal(thingName="plc-line1", principal=used["certificateArn"])
    ids.update(cert_unused=unused["certificateId"], cert_used=used["certificateId"])
    return ids
