"""The test database: migrated once per run, copied for each xdist worker (tests/databases.py)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from tests import databases


def test_the_template_is_named_for_the_run_beside_the_workers_files() -> None:
    run = "6eb0807f03b946930123456789abcdef"
    assert databases.template_name("sqlite", "/x/var/test-wellkept-41_gw0.sqlite3", run) == (
        "/x/var/test-wellkept-template-6eb0807f03b94693.sqlite3"
    )
    assert databases.template_name("postgresql", "test_wellkept_41_gw0", run) == (
        "test_wellkept_template_6eb0807f03b94693"
    )
    assert databases.shared_folder(run).name == "wellkept-test-databases-6eb0807f03b94693"


def test_the_lock_lets_one_holder_in_at_a_time(tmp_path: Path) -> None:
    inside: list[int] = []
    overlaps: list[int] = []

    def hold(n: int) -> None:
        with databases.locked(tmp_path / "lock"):
            if inside:
                overlaps.append(n)
            inside.append(n)
            time.sleep(0.05)
            inside.remove(n)

    threads = [threading.Thread(target=hold, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []


@pytest.mark.django_db
def test_a_worker_runs_on_its_own_copy_with_the_audit_guard_in_it() -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    name = str(connection.settings_dict["NAME"])
    if worker:
        assert name.removesuffix(".sqlite3").endswith(f"_{worker}")
        assert "template" in name
    # The copy holds what migrate made, the append-only guard on the trail too.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")
        assert cursor.fetchone()[0] > 0


def test_a_kept_template_is_named_by_the_caller_and_a_bad_name_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(databases.KEEP, raising=False)
    assert databases.kept_name() is None
    monkeypatch.setenv(databases.KEEP, "ci4242s")
    assert databases.kept_name() == "ci4242s"
    assert databases.template_name("postgresql", "test_wellkept_1", "ci4242s") == (
        "test_wellkept_template_ci4242s"
    )
    for bad in ("ci-42", "x" * 17, "a;DROP"):
        monkeypatch.setenv(databases.KEEP, bad)
        with pytest.raises(ValueError, match="letters, digits or _"):
            databases.kept_name()
