"""Corpus-wide: every cloud export and CloudTrail log in ../shared/data reads cleanly (skips when the corpus is absent)."""

from __future__ import annotations

from tests.conftest import shared_data_or_skip
from tests.scanners.cloud.conftest import run, undocumented
from xposture.errors import InputError
from xposture.scanners.cloud.cloudtrail import CloudTrailScanner
from xposture.scanners.cloud.offline import AwsOfflineScanner


def test_every_shared_cloud_export() -> None:
    root = shared_data_or_skip("cloud")
    records = []
    for folder in sorted((root / "aws_api_responses").iterdir()):
        found, _, error = run(AwsOfflineScanner(), {"paths": [str(folder)]})
        assert error is None or isinstance(error, InputError), (folder, error)
        records += found
    for path in sorted((root / "aws_config_items").glob("*.json")) + sorted((root / "terraform").glob("*.json")):
        found, _, error = run(AwsOfflineScanner(), {"paths": [str(path)]})
        if path.name.startswith("NEG_"):
            assert isinstance(error, InputError), path
        else:
            assert error is None, (path, error)
        records += found
    assert len(records) > 200
    assert undocumented(records) == set()


def test_every_shared_cloudtrail_log() -> None:
    logs = shared_data_or_skip("sigma", "logs")
    found, _, error = run(CloudTrailScanner(), {"paths": [str(p) for p in logs.glob("aws_cloudtrail_*")]})
    assert error is None and found
    assert undocumented(found) == set()
