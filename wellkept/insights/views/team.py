"""Dashboards for leaders and wellbeing officers, their exports, and the privacy officer's settings.

Every figure comes from ``services.dashboard_release``, which passes
disclosure control and writes the audit entry (``aggregate.view`` on screen, ``record.export``
for a download). Anyone else gets the same 404 as for a page that does not
exist, and the refusal is audited too. The filters are the ones
``parse_query`` accepts; a bad one is a 400 page with its message and a
way back (the dashboard's own form, or an export's error page), never a 500.

The settings page (minimum group size, differential privacy and its
budget) is the privacy officer's alone, chosen like their other pages;
everyone else, dashboard viewers included, gets the same 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import privacy_officer_only, reauth_required
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.accounts.models import User
from wellkept.assessments.instruments import instruments as shipped_instruments
from wellkept.assessments.selectors import affiliated_organisations
from wellkept.insights import charts, exports
from wellkept.insights.disclosure import ENROLMENT, settings_for
from wellkept.insights.forms import InsightsSettingsForm
from wellkept.insights.models import PrivacyBudget
from wellkept.insights.periods import GRAINS, Grain, period_of
from wellkept.insights.periods import label as period_label
from wellkept.insights.selectors import (
    MAX_PERIODS,
    Dashboard,
    Query,
    QueryError,
    may_view,
    parse_query,
)
from wellkept.insights.services import dashboard_release, insights_settings_update
from wellkept.orgs.models import Organisation, RoleCategory, ShiftType, Unit

PURPOSE = Purpose.QUALITY_IMPROVEMENT_AGGREGATE
FILTERS = ("org", "instrument", "grain", "periods", "unit", "shift", "role")


def _viewer(request: HttpRequest) -> User:
    """The signed-in person: LoginRequiredMiddleware lets nobody else reach these views."""
    if not isinstance(request.user, User):
        raise Http404("No such dashboard.")
    return request.user


def _organisation(request: HttpRequest) -> Organisation | None:
    """The organisation asked for (``?org=``), else the first whose dashboards the user may see."""
    mine = affiliated_organisations(request.user)
    slug = request.GET.get("org")
    if slug:
        return mine.filter(slug=slug).first()
    for organisation in mine:
        if may_view(request.user, organisation, PURPOSE):
            return organisation
    return mine.first()


def _refuse(request: HttpRequest, organisation: Organisation | None, action: Action) -> None:
    """Record the refusal through the same decision as an allowed view, then 404."""
    if organisation is None:
        resource = Resource(kind=ResourceKind.AGGREGATE, reference="aggregate:dashboard")
        can(request.user, action, resource, PURPOSE, request=request, consent_ok=True)
        raise Http404("No such dashboard.")
    # The refusal is audited inside dashboard_release, exactly as for a real query.
    dashboard_release(
        actor=_viewer(request),
        organisation=organisation,
        query=Query(instrument="phq9"),
        purpose=PURPOSE,
        action=action,
        request=request,
    )
    raise Http404("No such dashboard.")  # pragma: no cover - dashboard_release refused already


def _load(request: HttpRequest, action: Action) -> tuple[Organisation, Dashboard | None, str]:
    """Return the organisation and its dashboard, or the message for a query it cannot answer."""
    organisation = _organisation(request)
    if organisation is None or not may_view(request.user, organisation, PURPOSE):
        _refuse(request, organisation, action)
        raise Http404("No such dashboard.")  # pragma: no cover - _refuse raised already
    try:
        query = parse_query(organisation, request.GET.dict())
    except QueryError as exc:
        return organisation, None, str(exc)
    dashboard = dashboard_release(
        actor=_viewer(request),
        organisation=organisation,
        query=query,
        purpose=PURPOSE,
        action=action,
        request=request,
    )
    return organisation, dashboard, ""


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
@never_cache
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show the dashboard for the chosen questionnaire, grain and filters."""
    organisation, board, error = _load(request, Action.VIEW_AGGREGATE)
    context: dict[str, Any] = {
        "organisation": organisation,
        "choices": _filter_choices(organisation),
        "selected": {k: request.GET.get(k, "") for k in FILTERS},
        "error": error,
        "dashboard": board,
    }
    if board is None:
        return render(request, "insights/dashboard.html", context, status=400)
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
    return render(request, "insights/dashboard.html", context)


def _export(request: HttpRequest, render_file: Any, content_type: str, suffix: str) -> HttpResponse:
    organisation, board, error = _load(request, Action.EXPORT)
    if board is None:
        # The normal page with the message and a way back, never a bare text answer.
        return render(
            request,
            "insights/export_error.html",
            {"error": error, "query_string": _params(request), "org": request.GET.get("org", "")},
            status=400,
        )
    response = HttpResponse(render_file(board), content_type=content_type)
    filename = f"insights-{organisation.slug}-{board.query.instrument}-{board.query.grain.value}"
    response["Content-Disposition"] = f'attachment; filename="{filename}.{suffix}"'
    return response


@policy(action=Action.EXPORT, resource=ResourceKind.AGGREGATE, purpose=PURPOSE)
@never_cache
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    """Download the figures on screen as CSV, through the same disclosure control."""
    return _export(request, exports.as_csv, "text/csv; charset=utf-8", "csv")


@policy(action=Action.EXPORT, resource=ResourceKind.AGGREGATE, purpose=PURPOSE)
@never_cache
@require_GET
def export_pdf(request: HttpRequest) -> HttpResponse:
    """Download the figures on screen as PDF, through the same disclosure control."""
    return _export(request, exports.as_pdf, "application/pdf", "pdf")


# ---- The privacy officer's settings ------------------------------------------------

OVERSIGHT = Purpose.AUDIT_OVERSIGHT
SETTINGS_FIELDS = (
    "min_group_size",
    "narrowing_share",
    "dp_enabled",
    "epsilon_per_quarter",
    "epsilon_per_release",
)
# Enough quarters to cover every period a dashboard can show (MAX_PERIODS
# weeks or months), without listing the organisation's whole history.
BUDGET_QUARTERS = 4


@dataclass(frozen=True)
class BudgetRow:
    quarter: str
    current: bool
    what: str
    spent: float
    percent: int


def _settings_resource(organisation: Organisation) -> Resource:
    # The same reference as insights_settings_update's, so reads and changes
    # of these settings line up in the audit trail.
    return Resource(
        kind=ResourceKind.CONSENT_CONFIG,
        reference=f"organisation:{organisation.pk}/insights-settings",
        organisation_id=organisation.pk,
    )


def _budget_rows(organisation: Organisation, per_quarter: float) -> list[BudgetRow]:
    """The privacy budget spent per quarter and questionnaire, latest quarter first."""
    this_quarter = period_of(Grain.QUARTER, clock.now().astimezone(dt.UTC).date())
    titles = {code: i.short_title for code, i in shipped_instruments().items()}
    rows = []
    spent = list(
        PrivacyBudget.objects.filter(organisation=organisation, spent__gt=0).order_by(
            F("quarter").desc(nulls_last=True), "family"
        )
    )
    quarters = sorted({b.quarter for b in spent if b.quarter is not None}, reverse=True)
    recent = set(quarters[:BUDGET_QUARTERS])
    for budget in spent:
        if budget.quarter is not None and budget.quarter not in recent:
            continue
        what = (
            "Participation (people taking part)"
            if budget.family == ENROLMENT
            else titles.get(budget.family, budget.family)
        )
        rows.append(
            BudgetRow(
                quarter=period_label(Grain.QUARTER, budget.quarter)
                if budget.quarter is not None
                else "Any period",
                current=budget.quarter == this_quarter,
                what=what,
                spent=budget.spent,
                percent=min(100, round(100 * budget.spent / per_quarter)) if per_quarter else 100,
            )
        )
    return rows


@policy(
    action=Action.UPDATE,
    resource=ResourceKind.CONSENT_CONFIG,
    purpose=OVERSIGHT,
    also=(Action.READ,),  # the form shows the settings it changes
)
@privacy_officer_only(what="insights-settings")
@reauth_required
@never_cache
@require_http_methods(["GET", "POST"])
def disclosure_settings(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """Show and change the minimum group size and differential privacy, with the budget spent."""
    current = settings_for(organisation)
    form = InsightsSettingsForm(
        request.POST or None,
        initial={name: getattr(current, name) for name in SETTINGS_FIELDS},
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = insights_settings_update(
                actor=_viewer(request),
                organisation=organisation,
                **{name: form.cleaned_data[name] for name in SETTINGS_FIELDS},
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Saved. Minimum group size {saved.min_group_size}; scores kept uncertain over "
                f"{saved.narrowing_share:g} of the range; differential privacy "
                f"{'on' if saved.dp_enabled else 'off'}. The settings apply to groups "
                "released from now on.",
            )
            path = reverse("insights:settings")
            return HttpResponseRedirect(f"{path}?{urlencode({'org': organisation.slug})}")
    # Showing the page reads the settings and the budget: recorded like any read.
    if not can(
        request.user, Action.READ, _settings_resource(organisation), OVERSIGHT, request=request
    ):
        raise Http404
    return render(
        request,
        "insights/settings.html",
        {
            "organisation": organisation,
            "form": form,
            "current": current,
            "budget_rows": _budget_rows(organisation, current.epsilon_per_quarter),
            "this_quarter": period_label(
                Grain.QUARTER, period_of(Grain.QUARTER, clock.now().astimezone(dt.UTC).date())
            ),
        },
        status=400 if form.is_bound else 200,
    )
