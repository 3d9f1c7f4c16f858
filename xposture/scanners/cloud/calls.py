"""Calling AWS read APIs the same way for live clients and replayed exports.

One place decides what an error means: "absent" codes (no policy, no public
access block) are facts, "denied" and "not recorded" codes are gaps that
make the coverage entry ``partial``, anything else fails the service.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedException",
    "AuthorizationError",
    "Forbidden",
    "403",
}
CREDENTIALS = {
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "AuthFailure",
    "InvalidToken",
}
ABSENT = {
    "NoSuchBucketPolicy",
    "NoSuchPublicAccessBlockConfiguration",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchEntity",
    "ResourceNotFoundException",
    "NotConfiguredException",
    "NoSuchTagSet",
    "NoSuchBucket",
}
NOT_RECORDED = "XpostureNotRecorded"


class Unread(Exception):
    """A call whose answer we do not have (denied, not recorded, unsupported): a gap, not a fact."""


class ServiceFailed(Exception):
    """The service could not be read at all (its listing call failed)."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


class CredentialsRejected(Exception):
    """AWS rejected the credentials themselves: no other call will work either."""


def message(exc: ClientError) -> str:
    """The error message made fit for a coverage line: HTML error pages reduced to their text, one short line."""
    error = exc.response.get("Error", {}) if isinstance(exc.response, dict) else {}
    text = re.sub(r"<[^>]+>", " ", str(error.get("Message", "") or ""))
    text = " ".join(text.split())
    return text[:160] + ("..." if len(text) > 160 else "")


def error_code(exc: ClientError) -> str:
    error = exc.response.get("Error", {}) if isinstance(exc.response, dict) else {}
    code = str(error.get("Code", "") or "")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") if isinstance(exc.response, dict) else None
    return code or (str(status) if status else "")


@dataclass
class ServiceRun:
    """Bookkeeping for one service in one region: what was read, what was not and why."""

    service: str
    region: str
    gaps: dict[str, str] = field(default_factory=dict)
    records: int = 0

    def call(
        self, client: Any, operation: str, *, absent: frozenset[str] | set[str] = frozenset(), **params: Any
    ) -> Any:
        """The response, or None for an 'absent' answer; raises :class:`Unread` for a gap."""
        try:
            return getattr(client, operation)(**params)
        except ClientError as exc:
            code = error_code(exc)
            if code in absent:
                return None
            self._classify(operation, code, exc)
        except BotoCoreError as exc:
            self.gaps[operation] = f"{type(exc).__name__}: {exc}"
            raise Unread(operation) from exc
        raise Unread(operation)  # pragma: no cover - _classify always raises

    def _classify(self, operation: str, code: str, exc: ClientError) -> None:
        if code in CREDENTIALS:
            raise CredentialsRejected(f"{operation}: {code}: {exc}") from exc
        if code in DENIED:
            self.gaps[operation] = f"access denied ({code})"
        elif code == NOT_RECORDED:
            self.gaps[operation] = "not in the export"
        else:
            self.gaps[operation] = f"{code or 'error'}: {message(exc)}".strip()
        raise Unread(operation) from exc

    def pages(self, client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
        """Every item under ``key`` across pages; a failure of a listing call fails the service."""
        try:
            if client.can_paginate(operation):
                for page in client.get_paginator(operation).paginate(**params):
                    yield from page.get(key, []) or []
            else:
                yield from getattr(client, operation)(**params).get(key, []) or []
        except ClientError as exc:
            code = error_code(exc)
            if code in CREDENTIALS:
                raise CredentialsRejected(f"{operation}: {code}: {exc}") from exc
            if code == NOT_RECORDED:
                raise ServiceFailed("skipped", f"{operation} not in the export") from exc
            if code in DENIED:
                raise ServiceFailed("failed", f"{operation}: access denied ({code})") from exc
            raise ServiceFailed("failed", f"{operation}: {code} {message(exc)}".strip()) from exc
        except BotoCoreError as exc:
            raise ServiceFailed("failed", f"{operation}: {type(exc).__name__}: {exc}") from exc

    def maybe_pages(self, client: Any, operation: str, key: str, **params: Any) -> list[Any] | None:
        """Like :meth:`pages` for secondary listings: a failure is a gap (None), not a failed service."""
        try:
            return list(self.pages(client, operation, key, **params))
        except ServiceFailed as exc:
            self.gaps[operation] = exc.detail.removeprefix(f"{operation}: ").removeprefix(f"{operation} ")
            return None

    def status(self) -> tuple[str, str]:
        if not self.gaps:
            return "ok", ""
        detail = "; ".join(f"{op}: {why}" for op, why in sorted(self.gaps.items()))
        if self.records == 0 and all("not in the export" not in why for why in self.gaps.values()):
            return "failed", detail
        return "partial", detail
