"""The ``aws`` scanner: a live, read-only look at one or more AWS accounts through boto3.

Profiles, regions and assume-role chains come from the inventory; retries
use botocore's adaptive mode (client-side rate limiting on throttling).
Credentials that are missing or rejected stop the source with a message
naming the profile and the fix; a service that is denied is reported as a
coverage gap and the scan goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

from xposture.errors import ScannerError
from xposture.model import Layer, Record
from xposture.scanners.base import OptionType, ScanContext, SourceConfig
from xposture.scanners.cloud.calls import CREDENTIALS, CredentialsRejected, error_code
from xposture.scanners.cloud.collect import ALL_SERVICES, Collector
from xposture.scanners.cloud.common import Where
from xposture.scanners.cloud.replay import Recorder

SessionFactory = Callable[..., Any]


class AwsScanner:
    """Inventory and posture of live AWS accounts (S3, EC2/VPC, IAM, CloudTrail, KMS, RDS, IoT, Greengrass, SiteWise)."""

    name: ClassVar[str] = "aws"
    layer: ClassVar[Layer] = Layer.CLOUD
    options: ClassVar[Mapping[str, OptionType]] = {
        "profile": str,
        "regions": list,
        "role_arns": list,
        "external_id": str,
        "services": list,
        "endpoint_url": str,
        "record_dir": str,
        "max_attempts": int,
    }
    required: ClassVar[tuple[str, ...]] = ()

    def __init__(self, session_factory: SessionFactory | None = None) -> None:
        self._session_factory = session_factory or boto3.Session

    def scan(self, source: SourceConfig, ctx: ScanContext) -> Iterator[Record]:
        options = source.options
        profile = options.get("profile")
        services = tuple(str(s) for s in options.get("services", ALL_SERVICES))
        unknown = sorted(set(services) - set(ALL_SERVICES))
        if unknown:
            raise ScannerError(
                f"unknown services {unknown} (known: {', '.join(ALL_SERVICES)})",
                scanner=self.name,
                target=_who(profile),
            )
        endpoint = options.get("endpoint_url") or ctx.environ.get("AWS_ENDPOINT_URL") or None
        config = Config(
            retries={"mode": "adaptive", "max_attempts": int(options.get("max_attempts", 5))},
            user_agent_extra="xposture",
            inject_host_prefix=endpoint is None,
        )
        session = self._open(profile)
        record_dir = source.path_list("record_dir")[0] if options.get("record_dir") else None
        accounts = [(session, _who(profile))]
        base_account, partition = self._identity(session, profile, endpoint, config)
        for role in options.get("role_arns", []) or []:
            try:
                accounts.append(
                    (self._assume(session, str(role), options.get("external_id"), ctx, endpoint, config), str(role))
                )
            except ScannerError as exc:
                ctx.report(self.name, str(role), "failed", exc.message, site=source.site)
        read = 0
        for index, (account_session, label) in enumerate(accounts):
            if ctx.cancelled():
                return
            try:
                account_id = base_account if index == 0 else self._identity(account_session, label, endpoint, config)[0]
                yield from self._account(
                    account_session, account_id, partition, services, endpoint, config, record_dir, source, ctx
                )
                read += 1
            except (CredentialsRejected, ScannerError) as exc:
                ctx.report(self.name, label, "failed", f"credentials rejected: {exc}", site=source.site)
        if not read:
            raise ScannerError("no account could be read (see coverage)", scanner=self.name, target=_who(profile))

    # -- sessions ------------------------------------------------------------

    def _open(self, profile: str | None) -> Any:
        try:
            session = self._session_factory(profile_name=profile) if profile else self._session_factory()
        except ProfileNotFound:
            raise ScannerError(
                f"AWS profile {profile!r} is not configured: add it with `aws configure --profile {profile}` "
                "(or `aws configure sso`), or fix 'profile:' in the inventory",
                scanner=self.name,
                target=_who(profile),
            ) from None
        if session.get_credentials() is None:
            raise ScannerError(
                f"no AWS credentials for {_who(profile)}: run `aws configure --profile {profile or 'default'}` or "
                f"`aws sso login --profile {profile or 'default'}`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                scanner=self.name,
                target=_who(profile),
            )
        return session

    def _identity(self, session: Any, profile: str | None, endpoint: str | None, config: Config) -> tuple[str, str]:
        """Account id and partition of a session; rejected credentials become a clear ScannerError."""
        try:
            identity = session.client(
                "sts", endpoint_url=endpoint, config=config, region_name=_region(session)
            ).get_caller_identity()
        except ClientError as exc:
            code = error_code(exc)
            if code in CREDENTIALS or code in ("AccessDenied", "403"):
                raise ScannerError(
                    f"AWS rejected the credentials of {_who(profile)} ({code}): refresh them "
                    f"(`aws sso login --profile {profile or 'default'}` or a new access key) and retry",
                    scanner=self.name,
                    target=_who(profile),
                ) from None
            raise ScannerError(
                f"sts:GetCallerIdentity failed: {code}", scanner=self.name, target=_who(profile)
            ) from None
        except NoCredentialsError:
            raise ScannerError(
                f"no AWS credentials for {_who(profile)}: run `aws configure` or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
                scanner=self.name,
                target=_who(profile),
            ) from None
        except BotoCoreError as exc:
            raise ScannerError(f"cannot reach AWS STS: {exc}", scanner=self.name, target=_who(profile)) from None
        arn = str(identity.get("Arn", "arn:aws:"))
        return str(identity.get("Account", "")), arn.split(":")[1] if arn.count(":") > 1 else "aws"

    def _assume(
        self, session: Any, role: str, external_id: Any, ctx: ScanContext, endpoint: str | None, config: Config
    ) -> Any:
        params: dict[str, Any] = {"RoleArn": role, "RoleSessionName": "xposture-readonly"}
        if external_id:
            params["ExternalId"] = (
                ctx.secret(str(external_id)) if str(external_id).startswith("env:") else str(external_id)
            )
        try:
            sts = session.client("sts", endpoint_url=endpoint, config=config, region_name=_region(session))
            creds = sts.assume_role(**params)["Credentials"]
        except (ClientError, BotoCoreError) as exc:
            code = error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
            raise ScannerError(
                f"cannot assume role ({code}): check the role's trust policy", scanner=self.name, target=role
            ) from None
        return self._session_factory(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=_region(session),
        )

    # -- one account ----------------------------------------------------------

    def _account(
        self,
        session: Any,
        account_id: str,
        partition: str,
        services: tuple[str, ...],
        endpoint: str | None,
        config: Config,
        record_dir: Path | None,
        source: SourceConfig,
        ctx: ScanContext,
    ) -> Iterator[Record]:
        cache: dict[tuple[str, str], Any] = {}
        recorder = Recorder(record_dir / account_id) if record_dir else None

        def client(service: str, region: str) -> Any:
            key = (service, region)
            if key not in cache:
                made = session.client(service, region_name=region, endpoint_url=endpoint, config=config)
                if endpoint:
                    made.meta.events.register("before-sign", _pin_endpoint_host(endpoint))
                cache[key] = recorder.wrap(made, service, region) if recorder else made
            return cache[key]

        regions = [str(r) for r in source.options.get("regions", []) or []] or self._regions(
            client, _region(session), ctx, source
        )

        def report(service: str, region: str, status: str, detail: str, records: int) -> None:
            ctx.report(self.name, f"{account_id}/{region}/{service}", status, detail, records=records, site=source.site)

        collector = Collector(
            clients=client,
            where=Where(scanner=self.name, account_id=account_id, partition=partition),
            regions=regions,
            services=services,
            report=report,
            cancelled=ctx.cancelled,
            workers=max(1, min(ctx.concurrency, 16)),
        )
        yield from collector.run()
        if recorder:
            recorder.write_manifest(account_id, partition, regions)

    def _regions(
        self, client: Callable[[str, str], Any], home: str, ctx: ScanContext, source: SourceConfig
    ) -> list[str]:
        """Every region enabled for the account (the account's home region when that cannot be listed)."""
        try:
            answer = client("ec2", home).describe_regions(AllRegions=False)
            names = sorted(r["RegionName"] for r in answer.get("Regions", []))
            return names or [home]
        except (ClientError, BotoCoreError) as exc:
            ctx.report(
                self.name,
                f"regions@{home}",
                "partial",
                f"cannot list regions ({exc}); scanning {home} only",
                site=source.site,
            )
            return [home]


def _pin_endpoint_host(endpoint: str) -> Callable[..., None]:
    """Some APIs put a prefix in front of the host even for an explicit endpoint (S3 Control the account id,
    SiteWise ``api.``); send them to the endpoint the inventory names.

    An ``endpoint_url`` override (moto, LocalStack, a proxy) names one host; the
    account id travels in the ``x-amz-account-id`` header anyway.
    """
    wanted = urlsplit(endpoint).netloc

    def pin(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        if parts.netloc != wanted and parts.netloc.endswith("." + wanted):
            request.url = urlunsplit(parts._replace(netloc=wanted))

    return pin


def _who(profile: str | None) -> str:
    return f"profile {profile}" if profile else "the default credential chain"


def _region(session: Any) -> str:
    return str(getattr(session, "region_name", None) or "us-east-1")
