"""Selectors only read; ``dashboard_release`` decides, records and audits in one transaction."""

from __future__ import annotations

import inspect

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from wellkept.access.actions import Action
from wellkept.audit.models import AuditEntry
from wellkept.insights import selectors
from wellkept.insights.disclosure import Figure
from wellkept.insights.models import Release
from wellkept.insights.periods import Grain
from wellkept.insights.selectors import DashboardPlan, Query
from wellkept.insights.services import dashboard_release

pytestmark = pytest.mark.django_db

PULSE = Query(instrument="phq2", grain=Grain.WEEK, count=4)
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _writes(captured: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)
    ]


def _head() -> int:
    last = AuditEntry.objects.order_by("-id").first()
    return last.id if last is not None else 0


def _events_after(mark: int) -> list[str]:
    return [str(e.event) for e in AuditEntry.objects.filter(id__gt=mark).order_by("id")]


def _every_selector(h, plan_released: dict[str, Figure] | None = None) -> set[str]:  # type: ignore[no-untyped-def]
    """Call every public function of ``selectors`` once, as a page would; return their names."""
    org = h.organisation
    lena = h.people["lena"]
    called = set()
    selectors.parse_query(org, {"instrument": "phq2", "grain": "week", "periods": "4"})
    called.add("parse_query")
    selectors.may_view(lena, org, selectors.Purpose.QUALITY_IMPROVEMENT_AGGREGATE)
    called.add("may_view")
    selectors.aggregate_resource(org, PULSE.reference)
    called.add("aggregate_resource")
    plan = selectors.dashboard_plan(org, PULSE)
    called.add("dashboard_plan")
    selectors.standard_views(org)
    called.add("standard_views")
    if plan_released is not None:
        plan.assemble(plan_released)
    return called


def _public_functions() -> set[str]:
    return {
        name
        for name, value in vars(selectors).items()
        if inspect.isfunction(value)
        and value.__module__ == selectors.__name__
        and not name.startswith("_")
    }


def test_it_calls_every_selector_in_the_read_only_check(insights_hospital) -> None:
    """A selector added later must join the check below, or this fails."""
    assert _every_selector(insights_hospital) == _public_functions()


def test_it_writes_nothing_from_any_selector_on_a_first_view(insights_hospital) -> None:
    before = Release.objects.count()
    with CaptureQueriesContext(connection) as captured:
        _every_selector(insights_hospital)
    assert _writes(captured) == []
    assert Release.objects.count() == before == 0


def test_it_writes_nothing_from_any_selector_once_the_figures_are_released(
    insights_hospital,
) -> None:
    board = dashboard_release(
        actor=insights_hospital.people["lena"], organisation=insights_hospital.organisation,
        query=PULSE,
    )  # fmt: skip
    released = {f.group.key: f for f in board.figures()}
    plan = selectors.dashboard_plan(insights_hospital.organisation, PULSE)
    for batch in plan.batches:
        for group in batch:
            released.setdefault(group.key, Figure(group=group, shown=False, hidden="small"))
    with CaptureQueriesContext(connection) as captured:
        _every_selector(insights_hospital, released)
    assert _writes(captured) == []


def test_it_sees_the_writes_of_the_service_itself(insights_hospital) -> None:
    """The read-only check can fail: the service, which writes, is caught by it."""
    with CaptureQueriesContext(connection) as captured:
        dashboard_release(
            actor=insights_hospital.people["lena"],
            organisation=insights_hospital.organisation,
            query=PULSE,
        )
    assert any("insights_release" in sql for sql in _writes(captured))


def test_it_records_the_view_and_its_releases_together(insights_hospital) -> None:
    mark = _head()
    board = dashboard_release(
        actor=insights_hospital.people["lena"], organisation=insights_hospital.organisation,
        query=PULSE,
    )  # fmt: skip
    assert any(f.shown for f in board.figures())
    assert Release.objects.count() > 0
    assert _events_after(mark) == ["aggregate.view"]


def test_it_keeps_neither_releases_nor_audit_entry_when_the_release_fails(
    insights_hospital, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the ledger rows are written takes them back, and the audit entry too."""
    written: list[int] = []
    release = selectors.Releaser.release

    def counted(self, groups):  # type: ignore[no-untyped-def]
        found = release(self, groups)
        written.append(Release.objects.count())
        return found

    def broken(self, released):  # type: ignore[no-untyped-def]
        raise RuntimeError("the page could not be laid out")

    monkeypatch.setattr(selectors.Releaser, "release", counted)
    monkeypatch.setattr(DashboardPlan, "assemble", broken)
    mark = _head()
    with pytest.raises(RuntimeError):
        dashboard_release(
            actor=insights_hospital.people["lena"],
            organisation=insights_hospital.organisation,
            query=PULSE,
        )
    # The ledger rows were written inside the transaction, then rolled back with it.
    assert written
    assert written[-1] > 0
    assert Release.objects.count() == 0
    assert _events_after(mark) == []


def test_it_answers_a_repeat_view_from_the_ledger_and_audits_it(insights_hospital) -> None:
    h = insights_hospital
    first = dashboard_release(actor=h.people["lena"], organisation=h.organisation, query=PULSE)
    kept = Release.objects.count()
    mark = _head()
    again = dashboard_release(actor=h.people["wendy"], organisation=h.organisation, query=PULSE)
    assert [f.as_json() for f in again.figures()] == [f.as_json() for f in first.figures()]
    assert Release.objects.count() == kept
    assert _events_after(mark) == ["aggregate.view"]


def test_it_audits_an_export_as_an_export(insights_hospital) -> None:
    h = insights_hospital
    mark = _head()
    dashboard_release(
        actor=h.people["lena"], organisation=h.organisation, query=PULSE, action=Action.EXPORT
    )
    assert _events_after(mark) == ["record.export"]


@pytest.mark.parametrize("persona", ["amira", "priya", "sam", "fran", "joe"])
def test_it_refuses_everyone_else_and_keeps_only_the_refusal(insights_hospital, persona) -> None:
    h = insights_hospital
    mark = _head()
    with pytest.raises(Http404):
        dashboard_release(actor=h.people[persona], organisation=h.organisation, query=PULSE)
    assert Release.objects.count() == 0
    assert _events_after(mark) == ["access.denied"]
