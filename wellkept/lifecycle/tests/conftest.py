"""Fixtures shared with other apps' tests live in ``fixtures``.

Every lifecycle test writes its tombstones and scheduler state to its own
temporary folder, never to the developer's ``var/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wellkept.assessments.tests.fixtures import _hospital_once, hospital_per_test, shared_hospital
from wellkept.followup.tests.conftest import case, world

__all__ = ["_hospital_once", "case", "hospital_per_test", "shared_hospital", "world"]


@pytest.fixture(autouse=True)
def _isolated_lifecycle_files(tmp_path: Path, settings) -> Path:
    folder = tmp_path / "lifecycle-var"
    settings.WELLKEPT_TOMBSTONE_FILE = folder / "tombstones.jsonl"
    settings.WELLKEPT_SCHEDULER_STATE_FILE = folder / "scheduler.json"
    return folder
