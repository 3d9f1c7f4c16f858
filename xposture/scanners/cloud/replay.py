"""Replay recorded AWS responses through a boto3-like client, and record live ones.

Exports (placebo recordings, ``aws ... describe-*`` outputs, AWS Config
items, Terraform plans) are loaded into :class:`Recordings`; the collector
then reads them through :class:`ReplayClient` exactly as it reads AWS.
Per-resource answers are found by the resource's name when the export says
it (Config, Terraform, our own recorder) and by call order otherwise (placebo).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections import defaultdict, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError

from xposture.scanners.cloud.calls import NOT_RECORDED

KEY_PARAMS = (
    "Bucket",
    "KeyId",
    "Name",
    "PolicyArn",
    "UserName",
    "RoleName",
    "PolicyName",
    "policyName",
    "certificateId",
    "principal",
    "thingName",
    "roleAlias",
    "gatewayId",
    "AccountId",
)
TOKENS = (
    "NextToken",
    "nextToken",
    "NextMarker",
    "Marker",
    "PaginationToken",
    "ContinuationToken",
    "NextContinuationToken",
)


@dataclass
class Response:
    """One recorded answer: HTTP status and body (errors carry ``Error.Code``)."""

    status: int
    data: dict[str, Any]
    file: str = ""


@dataclass
class Recordings:
    """Recorded answers of one service in one (account, region), ordered and by resource name."""

    ordered: dict[str, deque[Response]] = field(default_factory=lambda: defaultdict(deque))
    keyed: dict[tuple[str, str], deque[Response]] = field(default_factory=dict)
    """Answers filed under the resource they are about; several = successive pages, the last one repeats."""

    def add(self, operation: str, response: Response, key: str | None = None) -> None:
        if key is None:
            self.ordered[operation].append(response)
        else:
            self.keyed.setdefault((operation, key), deque()).append(response)

    def extend_list(self, operation: str, list_key: str, items: list[Any]) -> None:
        """Append items to the single synthetic page of a listing operation (Config/Terraform exports)."""
        queue = self.ordered[operation]
        if not queue:
            queue.append(Response(200, {list_key: []}))
        queue[0].data.setdefault(list_key, []).extend(items)

    def __bool__(self) -> bool:
        return bool(self.ordered) or bool(self.keyed)


def resource_key(params: Mapping[str, Any]) -> str:
    """The name a per-resource answer is filed under: its identifying parameters joined by '/'."""
    return "/".join(str(params[p]) for p in KEY_PARAMS if isinstance(params.get(p), str))


def not_recorded(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": NOT_RECORDED, "Message": "no recorded response"}}, operation)


def _raise_if_error(response: Response, operation: str) -> dict[str, Any]:
    if response.status >= 400 or ("Error" in response.data and response.status != 200):
        error = dict(response.data.get("Error") or {"Code": str(response.status)})
        raise ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": response.status}}, operation)
    return response.data


class ReplayClient:
    """A read-only boto3 client look-alike answering from :class:`Recordings`."""

    def __init__(self, service: str, recordings: Recordings | None) -> None:
        self.service = service
        self._recordings = recordings or Recordings()
        self._names = {xform_name(op): op for op in self._recordings.ordered}
        self._names.update({xform_name(op): op for op, _ in self._recordings.keyed})

    def can_paginate(self, operation: str) -> bool:
        return True

    def get_paginator(self, operation: str) -> _ReplayPaginator:
        return _ReplayPaginator(self, operation)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def call(**params: Any) -> dict[str, Any]:
            return self._answer(name, params)

        return call

    def _answer(self, name: str, params: Mapping[str, Any]) -> dict[str, Any]:
        operation = self._names.get(name)
        if operation is None:
            raise not_recorded(name)
        key = resource_key(params)
        answers = self._recordings.keyed.get((operation, key)) if key else None
        if answers:
            return _raise_if_error(answers.popleft() if len(answers) > 1 else answers[0], operation)
        queue = self._recordings.ordered.get(operation)
        if not queue:
            raise not_recorded(operation)
        return _raise_if_error(queue.popleft(), operation)

    def has_more(self, name: str) -> bool:
        operation = self._names.get(name)
        return bool(operation and self._recordings.ordered.get(operation))


class _ReplayPaginator:
    def __init__(self, client: ReplayClient, operation: str) -> None:
        self._client, self._operation = client, operation

    def paginate(self, **params: Any) -> Iterator[dict[str, Any]]:
        page = self._client._answer(self._operation, params)
        yield page
        while _continues(page) and self._client.has_more(self._operation):
            page = self._client._answer(self._operation, params)
            yield page


def _continues(page: Mapping[str, Any]) -> bool:
    if page.get("IsTruncated") is False or page.get("Truncated") is False:
        return False
    return any(page.get(token) for token in TOKENS)


# -- placebo files ---------------------------------------------------------

PLACEBO_NAME = re.compile(r"^(?P<service>[a-z0-9-]+)\.(?P<operation>[A-Z][A-Za-z0-9]+)_(?P<n>\d+)\.json$")


def from_placebo(value: Any) -> Any:
    """Undo placebo's encoding of datetimes (``{"__class__": "datetime", ...}``)."""
    if isinstance(value, dict):
        if value.get("__class__") == "datetime":
            try:
                return dt.datetime(
                    value["year"],
                    value["month"],
                    value["day"],
                    value.get("hour", 0),
                    value.get("minute", 0),
                    value.get("second", 0),
                    value.get("microsecond", 0),
                    tzinfo=dt.UTC,
                )
            except (KeyError, TypeError, ValueError):
                return None
        return {k: from_placebo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_placebo(v) for v in value]
    return value


def to_placebo(value: Any) -> Any:
    """Placebo's JSON encoding of a boto3 response (datetimes and bytes made JSON-safe)."""
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC) if value.tzinfo else value
        return {
            "__class__": "datetime",
            "year": value.year,
            "month": value.month,
            "day": value.day,
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): to_placebo(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_placebo(v) for v in value]
    if hasattr(value, "read"):
        return None
    return value


class Recorder:
    """Wraps live clients and writes every answer as a placebo file, so the same scan can be replayed offline."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._counts: dict[tuple[str, str], int] = defaultdict(int)
        self._lock = threading.Lock()

    def wrap(self, client: Any, service: str, region: str) -> Any:
        return _RecordingClient(self, client, service, region)

    def write_manifest(self, account_id: str, partition: str, regions: list[str]) -> None:
        """Say whose recordings these are, so an offline scan stamps the right account on them."""
        self.folder.mkdir(parents=True, exist_ok=True)
        manifest = {"account_id": account_id, "partition": partition, "regions": regions, "format": "placebo"}
        (self.folder / "xposture-aws-export.json").write_text(json.dumps(manifest, indent=1) + "\n")

    def save(
        self, service: str, region: str, operation: str, status: int, data: Mapping[str, Any], key: str = ""
    ) -> None:
        folder = self.folder / (region or "global")
        with self._lock:
            folder.mkdir(parents=True, exist_ok=True)
            self._counts[(region, f"{service}.{operation}")] += 1
            number = self._counts[(region, f"{service}.{operation}")]
        body = {k: v for k, v in data.items() if k != "ResponseMetadata"}
        path = folder / f"{service}.{operation}_{number}.json"
        document: dict[str, Any] = {"status_code": status, "data": to_placebo(body)}
        if key:
            document["xposture_key"] = key  # placebo ignores it; our replay files the answer under its resource
        path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")


class _RecordingClient:
    def __init__(self, recorder: Recorder, client: Any, service: str, region: str) -> None:
        self._recorder, self._client, self._service, self._region = recorder, client, service, region
        self._operations = {xform_name(op): op for op in client.meta.service_model.operation_names}

    def can_paginate(self, operation: str) -> bool:
        return bool(self._client.can_paginate(operation))

    def get_paginator(self, operation: str) -> Any:
        inner = self._client.get_paginator(operation)
        recorder, service, region, name = self._recorder, self._service, self._region, self._operations[operation]

        class Paginator:
            def paginate(self, **params: Any) -> Iterator[dict[str, Any]]:
                key = resource_key(params)
                try:
                    for page in inner.paginate(**params):
                        recorder.save(service, region, name, 200, page, key)
                        yield page
                except ClientError as exc:
                    recorder.save(service, region, name, _status(exc), exc.response, key)
                    raise

        return Paginator()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        method = getattr(self._client, name)
        operation = self._operations.get(name)
        if operation is None:
            return method

        def call(**params: Any) -> Any:
            key = resource_key(params)
            try:
                answer = method(**params)
            except ClientError as exc:
                self._recorder.save(self._service, self._region, operation, _status(exc), exc.response, key)
                raise
            self._recorder.save(self._service, self._region, operation, 200, answer, key)
            return answer

        return call


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
