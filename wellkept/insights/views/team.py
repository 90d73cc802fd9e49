"""Dashboards for leaders and wellbeing officers, and their exports.

Every figure comes from ``services.dashboard_release``, which passes
disclosure control and writes the audit entry (``aggregate.view`` on screen, ``record.export``
for a download). Anyone else gets the same 404 as for a page that does not
exist, and the refusal is audited too. The filters are the ones
``parse_query`` accepts; a bad one is a 400 page with its message and a
way back (the dashboard's own form, or an export's error page), never a 500.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import leaders_only
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.assessments.instruments import instruments as shipped_instruments
from wellkept.insights import charts, exports
from wellkept.insights.periods import GRAINS
from wellkept.insights.selectors import (
    MAX_PERIODS,
    Dashboard,
    Query,
    QueryError,
    parse_query,
)
from wellkept.insights.services import dashboard_release
from wellkept.orgs.models import Organisation, RoleCategory, ShiftType, Unit

PURPOSE = Purpose.QUALITY_IMPROVEMENT_AGGREGATE
FILTERS = ("org", "instrument", "grain", "periods", "unit", "shift", "role")


def _load(
    request: AuthenticatedRequest, organisation: Organisation, action: Action
) -> tuple[Dashboard | None, str]:
    """Return the dashboard the query asks for, or the message for a query it cannot answer."""
    try:
        query = parse_query(organisation, request.GET.dict())
    except QueryError as exc:
        return None, str(exc)
    dashboard = dashboard_release(
        actor=request.user,
        organisation=organisation,
        query=query,
        purpose=PURPOSE,
        action=action,
        request=request,
    )
    return dashboard, ""


def _params(request: HttpRequest, **changes: str | None) -> str:
    params = {k: request.GET.get(k, "") for k in FILTERS}
    params.update({k: v or "" for k, v in changes.items()})
    return urlencode({k: v for k, v in params.items() if v})


def _filter_choices(organisation: Organisation) -> dict[str, Any]:
    units = list(Unit.objects.filter(organisation=organisation).order_by("path"))
    return {
        "instruments": sorted(
            (code, f"{i.short_title} ({i.title})") for code, i in shipped_instruments().items()
        ),
        "grains": [(g.value, g.label) for g in GRAINS],
        "units": [(str(u.pk), "\u2003" * u.depth + u.name) for u in units],
        "shifts": list(
            ShiftType.objects.filter(organisation=organisation)
            .order_by("name")
            .values_list("code", "name")
        ),
        "roles": list(RoleCategory.choices),
        "max_periods": MAX_PERIODS,
    }


def _filtered_name(query: Query) -> str | None:
    parts = []
    if query.unit is not None:
        parts.append(query.unit.name)
    if query.shift is not None:
        parts.append(f"{query.shift.name} shifts")
    if query.role:
        parts.append(str(RoleCategory(query.role).label))
    return ", ".join(parts) or None


@policy(action=Action.VIEW_AGGREGATE, resource=ResourceKind.AGGREGATE, purpose=PURPOSE)
@leaders_only(what="dashboard")
@never_cache
@require_GET
def dashboard(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Show the dashboard for the chosen questionnaire, grain and filters."""
    board, error = _load(request, organisation, Action.VIEW_AGGREGATE)
    context: dict[str, Any] = {
        "organisation": organisation,
        "choices": _filter_choices(organisation),
        "selected": {k: request.GET.get(k, "") for k in FILTERS},
        "error": error,
        "dashboard": board,
    }
    if board is None:
        return render(request, "insights/team/dashboard.html", context, status=400)
    name = _filtered_name(board.query)
    query_string = _params(request)
    context.update(
        {
            "filtered_name": name,
            "trend_chart": charts.trend_chart(board, filtered_name=name),
            "band_chart": charts.band_chart(board),
            "unit_rows": [(row, _params(request, unit=row.unit_id)) for row in board.by_unit],
            "up_link": _params(
                request,
                unit=str(board.query.unit.parent_id)
                if board.query.unit is not None and board.query.unit.parent_id
                else None,
            )
            if board.query.unit is not None
            else None,
            "query_string": query_string,
            "selected": {
                **context["selected"],
                "instrument": board.query.instrument,
                "grain": board.query.grain.value,
                "periods": str(board.query.count),
            },
        }
    )
    return render(request, "insights/team/dashboard.html", context)


def _export(
    request: AuthenticatedRequest,
    organisation: Organisation,
    render_file: Any,
    content_type: str,
    suffix: str,
) -> HttpResponse:
    board, error = _load(request, organisation, Action.EXPORT)
    if board is None:
        # The normal page with the message and a way back, never a bare text answer.
        return render(
            request,
            "insights/team/export_error.html",
            {"error": error, "query_string": _params(request), "org": request.GET.get("org", "")},
            status=400,
        )
    response = HttpResponse(render_file(board), content_type=content_type)
    filename = f"insights-{organisation.slug}-{board.query.instrument}-{board.query.grain.value}"
    response["Content-Disposition"] = f'attachment; filename="{filename}.{suffix}"'
    return response


# An export chooses its organisation as the dashboard does (may the viewer
# see its aggregates?), then releases for export: both actions, declared.
@policy(
    action=Action.EXPORT,
    resource=ResourceKind.AGGREGATE,
    purpose=PURPOSE,
    also=(Action.VIEW_AGGREGATE,),
)
@leaders_only(what="dashboard")
@never_cache
@require_GET
def export_csv(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Download the figures on screen as CSV, through the same disclosure control."""
    return _export(request, organisation, exports.as_csv, "text/csv; charset=utf-8", "csv")


# An export chooses its organisation as the dashboard does (may the viewer
# see its aggregates?), then releases for export: both actions, declared.
@policy(
    action=Action.EXPORT,
    resource=ResourceKind.AGGREGATE,
    purpose=PURPOSE,
    also=(Action.VIEW_AGGREGATE,),
)
@leaders_only(what="dashboard")
@never_cache
@require_GET
def export_pdf(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Download the figures on screen as PDF, through the same disclosure control."""
    return _export(request, organisation, exports.as_pdf, "application/pdf", "pdf")
