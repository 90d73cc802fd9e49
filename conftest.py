"""Project-wide test fixtures.

Every test gets its own key file in a temporary folder, so tests never read
or write the developer's demo keys, and the in-process key cache is emptied.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import cache

from wellkept.vault.keyring import reset_keyring
from wellkept.vault.services import dek_cache


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Live-server threads would otherwise keep persistent PostgreSQL
    # connections open after the test, and dropping the test database fails.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True)
def _isolated_keyring(tmp_path_factory: pytest.TempPathFactory, settings) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("keys") / "keyring.json"
    settings.WELLKEPT_KEYRING_FILE = path
    settings.WELLKEPT_KEYRING_CREATE = True
    reset_keyring()
    dek_cache.clear()
    cache.clear()
    yield path
    reset_keyring()
    dek_cache.clear()
