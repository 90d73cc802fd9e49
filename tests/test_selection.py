"""The PostgreSQL suite leaves out only tests that cannot touch a database."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests import selection


@dataclass
class Item:
    fixturenames: list[str] = field(default_factory=list)
    markers: set[str] = field(default_factory=set)
    path: str = "wellkept/app/tests/test_services.py"

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.markers else None


MARKED = Item(markers={"django_db"})
BY_FIXTURE = Item(fixturenames=["hospital", "db", "settings"])
LIVE = Item(fixturenames=["live_server"])
PURE = Item(fixturenames=["tmp_path", "settings"])
ONE_ENGINE = Item(fixturenames=["db"], markers={"django_db", "one_engine"})


def test_it_keeps_every_test_when_the_switch_is_off(monkeypatch) -> None:
    monkeypatch.delenv(selection.SWITCH, raising=False)
    assert selection.split([MARKED, PURE]) == ([MARKED, PURE], [])
    monkeypatch.setenv(selection.SWITCH, "0")
    assert selection.split([MARKED, PURE]) == ([MARKED, PURE], [])


def test_it_keeps_tests_marked_or_using_a_database_fixture_and_leaves_out_the_rest(
    monkeypatch,
) -> None:
    monkeypatch.setenv(selection.SWITCH, "1")
    kept, left_out = selection.split([MARKED, BY_FIXTURE, LIVE, PURE, ONE_ENGINE])
    assert kept == [MARKED, BY_FIXTURE, LIVE]
    assert left_out == [PURE, ONE_ENGINE]


@pytest.mark.parametrize(
    ("path", "page"),
    [
        ("wellkept/practice/tests/test_billing_pages.py", True),
        ("wellkept/followup/tests/test_pages.py", True),
        ("wellkept/assessments/tests/test_checkin_views.py", True),
        ("wellkept/practice/tests/test_billing_services.py", False),
        ("wellkept/insights/tests/test_views_of_the_ledger_helpers.py", False),
        ("wellkept/web/tests/test_error_pages_extra.py", False),
    ],
)
def test_it_runs_page_test_modules_on_sqlite_only(monkeypatch, path, page) -> None:
    monkeypatch.setenv(selection.SWITCH, "1")
    item = Item(markers={"django_db"}, path=path)
    assert selection.split([item]) == (([], [item]) if page else ([item], []))


def test_a_one_engine_test_still_runs_when_the_switch_is_off(monkeypatch) -> None:
    monkeypatch.delenv(selection.SWITCH, raising=False)
    assert selection.split([ONE_ENGINE]) == ([ONE_ENGINE], [])


def test_a_bad_switch_value_says_what_it_should_be(monkeypatch) -> None:
    monkeypatch.setenv(selection.SWITCH, "yes")
    with pytest.raises(ValueError, match="must be 1"):
        selection.split([PURE])


@pytest.mark.django_db
def test_this_test_counts_as_using_the_database(request) -> None:
    assert selection.uses_database(request.node)


def test_this_test_does_not(request) -> None:
    assert not selection.uses_database(request.node)


def test_a_fixture_that_needs_the_database_counts(request, db) -> None:
    assert request.node.get_closest_marker("django_db") is None
    assert selection.uses_database(request.node)
