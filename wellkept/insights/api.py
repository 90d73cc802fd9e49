"""The insights API (``/api/v1/``): the dashboard's figures as JSON and as FHIR R5 MeasureReport.

Every answer comes from ``services.dashboard_release``, the same call the
dashboard page makes: the same access rule, the same audit entry, the same
disclosure control and the same released figures. A hidden figure says why
it is hidden and carries no count. Missing and forbidden both answer 404.

Two ways in: the signed-in session (with CSRF on unsafe methods) for the
browser, and a personal bearer token (``wellkept api-token create``) for
scripts. Django's login redirect is switched off for these URLs so that a
caller without either gets a plain 401.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, django_auth

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import ATTRIBUTE, PUBLIC, Declare, ViewPolicy
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.insights import periods
from wellkept.insights.api_tokens import ApiTokenThrottled, api_token_check
from wellkept.insights.disclosure import Figure
from wellkept.insights.selectors import (
    Dashboard,
    QueryError,
    Row,
    aggregate_resource,
    may_view,
    parse_query,
)
from wellkept.insights.services import dashboard_release
from wellkept.orgs.models import Organisation, StaffMembership

PURPOSE = Purpose.QUALITY_IMPROVEMENT_AGGREGATE
FHIR_BASE = "https://wellkept.invalid/fhir"
HIDDEN_EXTENSION = f"{FHIR_BASE}/StructureDefinition/hidden-reason"
POPULATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-population"
STRATUM_SYSTEM = f"{FHIR_BASE}/CodeSystem/breakdown"


class TokenAuth(HttpBearer):
    """A personal API token in ``Authorization: Bearer <token>``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        # Throttled like a sign-in (429 with Retry-After), audited.
        found = api_token_check(token, request=request)
        if found is None:
            return None
        # The token is bound to one organisation; remembered for the lookup.
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


api = NinjaAPI(
    title="Wellkept API",
    version="1",
    description="Aggregate wellbeing figures, released through disclosure control.",
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    # The interactive docs page loads its scripts from a CDN; the schema is enough.
    docs_url=None,
    auth=[TokenAuth(), django_auth],
)


class Error(Schema):
    detail: str


@api.exception_handler(ApiTokenThrottled)
def throttled(request: HttpRequest, exc: ApiTokenThrottled) -> HttpResponse:
    response = api.create_response(request, {"detail": str(exc)}, status=429)
    response["Retry-After"] = str(exc.seconds)
    return response


class FigureOut(Schema):
    hidden: bool
    reason: str | None = None
    people: int | None = None
    responses: int | None = None
    mean: float | None = None
    bands: dict[str, int] | None = None
    noisy: bool = False
    mean_low: float | None = None
    mean_high: float | None = None
    people_margin: float | None = None


class TrendOut(Schema):
    period: dt.date
    label: str
    figure: FigureOut
    overall: FigureOut


class RowOut(Schema):
    label: str
    figure: FigureOut
    unit_id: str | None = None
    depth: int = 0
    enrolled: FigureOut | None = None
    participation_percent: float | None = None


class BandOut(Schema):
    code: str
    label: str
    count: int | None


class DashboardOut(Schema):
    organisation: str
    instrument: str
    instrument_title: str
    grain: str
    periods: int
    unit: str | None
    shift: str | None
    role: str | None
    min_group_size: int
    differential_privacy: bool
    trend: list[TrendOut]
    overall: FigureOut | None
    by_unit: list[RowOut]
    by_shift: list[RowOut]
    by_role: list[RowOut]
    bands: list[BandOut]
    participation: RowOut | None


@api.exception_handler(QueryError)
def _bad_query(request: HttpRequest, exc: QueryError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=400)


@api.exception_handler(ValidationError)
def _bad_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # Ninja answers 422 by default; the API promises 400 with one message.
    return api.create_response(
        request, {"detail": "The request's parameters are not valid."}, status=400
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "Sign in, or send a valid API token."}, status=401
    )
    response["WWW-Authenticate"] = 'Bearer realm="wellkept"'
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


def _organisation(request: HttpRequest, slug: str | None) -> Organisation:
    """The organisation asked about: the token's own, or the session user's; else 404."""
    token = getattr(request, "api_token", None)
    if token is not None:
        if slug and slug != token.organisation.slug:
            raise Http404
        return token.organisation
    if slug:
        found = Organisation.objects.filter(slug=slug).first()
        if found is None:
            raise Http404
        return found
    ids = set(
        StaffMembership.objects.filter(user_id=request.auth.pk).values_list(  # type: ignore[attr-defined]
            "organisation_id", flat=True
        )
    )
    if len(ids) != 1:
        raise QueryError("Name the organisation with org=<slug>.")
    return Organisation.objects.get(pk=ids.pop())


def _dashboard(
    request: HttpRequest, params: dict[str, str | None], action: Action
) -> tuple[Organisation, Dashboard]:
    actor = request.auth  # type: ignore[attr-defined]
    organisation = _organisation(request, params.pop("org", None))
    try:
        query = parse_query(organisation, params)
    except QueryError:
        if may_view(actor, organisation, PURPOSE):
            raise
        # Someone who may not look gets the same 404 as for a good query,
        # and the refusal is audited: a 400 would confirm that a unit exists.
        resource = aggregate_resource(organisation, "invalid-query")
        can(actor, action, resource, PURPOSE, request=request, consent_ok=True)
        raise Http404 from None
    dashboard = dashboard_release(
        actor=actor,
        organisation=organisation,
        query=query,
        purpose=PURPOSE,
        action=action,
        request=request,
    )
    return organisation, dashboard


def figure_json(figure: Figure, k: int) -> dict[str, Any]:
    """A figure as the API shows it: its values, or hidden with the reason and nothing else."""
    if not figure.shown:
        return {"hidden": True, "reason": figure.reason(k) or "Hidden."}
    return {"hidden": False, **figure.as_json()}


def _row_json(row: Row, k: int) -> dict[str, Any]:
    return {
        "label": row.label,
        "figure": figure_json(row.figure, k),
        "unit_id": row.unit_id,
        "depth": row.depth,
        "enrolled": figure_json(row.enrolled, k) if row.enrolled is not None else None,
        "participation_percent": row.participation,
    }


def dashboard_json(organisation: Organisation, dashboard: Dashboard) -> dict[str, Any]:
    """The whole dashboard as JSON, the same figures the page shows."""
    k, query = dashboard.k, dashboard.query
    return {
        "organisation": organisation.slug,
        "instrument": query.instrument,
        "instrument_title": dashboard.instrument.title,
        "grain": query.grain.value,
        "periods": query.count,
        "unit": str(query.unit.pk) if query.unit else None,
        "shift": query.shift.code if query.shift else None,
        "role": query.role,
        "min_group_size": k,
        "differential_privacy": dashboard.dp,
        "trend": [
            {
                "period": p.period,
                "label": p.label,
                "figure": figure_json(p.figure, k),
                "overall": figure_json(p.overall, k),
            }
            for p in dashboard.trend
        ],
        "overall": figure_json(dashboard.latest.overall, k) if dashboard.latest else None,
        "by_unit": [_row_json(r, k) for r in dashboard.by_unit],
        "by_shift": [_row_json(r, k) for r in dashboard.by_shift],
        "by_role": [_row_json(r, k) for r in dashboard.by_role],
        "bands": [{"code": c, "label": lbl, "count": n} for c, lbl, n in dashboard.bands],
        "participation": (
            _row_json(dashboard.participation, k) if dashboard.participation else None
        ),
    }


def _group(link: str, kind: str, label: str, figure: Figure, k: int) -> dict[str, Any]:
    group: dict[str, Any] = {
        "linkId": link,
        "code": {"coding": [{"system": STRATUM_SYSTEM, "code": kind}], "text": label},
    }
    if figure.shown and figure.people is not None:
        group["population"] = [
            {
                "code": {"coding": [{"system": POPULATION_SYSTEM, "code": "initial-population"}]},
                "count": figure.people,
            }
        ]
        if figure.mean is not None:
            group["measureScoreQuantity"] = {"value": figure.mean}
    else:
        # No population and no score: only the reason, never a count.
        group["extension"] = [
            {"url": HIDDEN_EXTENSION, "valueString": figure.reason(k) or "Hidden."}
        ]
    return group


def measure_report(organisation: Organisation, dashboard: Dashboard) -> dict[str, Any]:
    """The latest period's breakdowns as a validated FHIR R5 MeasureReport (summary)."""
    # Imported here: the FHIR models are slow to import, and only this endpoint needs them.
    from fhir.resources.measurereport import MeasureReport

    k, query, latest = dashboard.k, dashboard.query, dashboard.latest
    groups: list[dict[str, Any]] = []
    start = end = clock.now().astimezone(dt.UTC).date()
    if latest is not None:
        start, end = latest.period, periods.last_day(query.grain, latest.period)
        groups.append(_group("overall", "organisation", "Whole organisation", latest.overall, k))
        if dashboard.participation is not None:
            groups.append(
                _group("view", "view", "All people in this view", dashboard.participation.figure, k)
            )
        for row in dashboard.by_unit:
            groups.append(_group(f"unit-{row.unit_id}", "unit", row.label, row.figure, k))
        for i, row in enumerate(dashboard.by_shift):
            groups.append(_group(f"shift-{i}", "shift", row.label, row.figure, k))
        for i, row in enumerate(dashboard.by_role):
            groups.append(_group(f"role-{i}", "role", row.label, row.figure, k))
    report = MeasureReport.model_validate(
        {
            "resourceType": "MeasureReport",
            "status": "complete",
            "type": "summary",
            "measure": f"{FHIR_BASE}/Measure/{query.instrument}-mean-score",
            "subject": {"display": organisation.name},
            "date": clock.now().astimezone(dt.UTC).isoformat(),
            "reporter": {"display": organisation.name},
            "period": {"start": start.isoformat(), "end": end.isoformat()},
            "scoring": {"text": f"Mean {dashboard.instrument.title} score"},
            "group": groups,
        }
    )
    exported: dict[str, Any] = report.model_dump(mode="json", exclude_none=True)
    return exported


@api.get(
    "/insights/dashboard",
    response={200: DashboardOut, 400: Error, 401: Error, 404: Error},
    summary="A dashboard's figures",
    url_name="dashboard",
)
def dashboard(
    request: HttpRequest,
    instrument: str | None = None,
    grain: str | None = None,
    periods: str | None = None,
    unit: str | None = None,
    shift: str | None = None,
    role: str | None = None,
    org: str | None = None,
) -> dict[str, Any]:
    """Return the trend, breakdowns, bands and participation the dashboard page shows."""
    params = {"instrument": instrument, "grain": grain, "periods": periods}
    params |= {"unit": unit, "shift": shift, "role": role, "org": org}
    organisation, found = _dashboard(request, params, Action.VIEW_AGGREGATE)
    return dashboard_json(organisation, found)


@api.get(
    "/insights/measure-report",
    response={200: dict[str, Any], 400: Error, 401: Error, 404: Error},
    summary="The latest period as a FHIR R5 MeasureReport",
    url_name="measure_report",
)
def measure_report_view(
    request: HttpRequest,
    instrument: str | None = None,
    grain: str | None = None,
    periods: str | None = None,
    unit: str | None = None,
    shift: str | None = None,
    role: str | None = None,
    org: str | None = None,
) -> dict[str, Any]:
    """Return the latest period's breakdowns as a FHIR R5 MeasureReport; audited as an export."""
    params = {"instrument": instrument, "grain": grain, "periods": periods}
    params |= {"unit": unit, "shift": shift, "role": role, "org": org}
    organisation, found = _dashboard(request, params, Action.EXPORT)
    return measure_report(organisation, found)


_DECLARATIONS: dict[str, ViewPolicy] = {
    # The schema describes the API and holds no data.
    "openapi-json": PUBLIC,
    # Ninja needs its root to work out paths; it answers 404 (no docs page).
    "api-root": PUBLIC,
    "dashboard": ViewPolicy(
        "policy", action=Action.VIEW_AGGREGATE, resource=ResourceKind.AGGREGATE, purpose=PURPOSE
    ),
    "measure_report": ViewPolicy(
        "policy", action=Action.EXPORT, resource=ResourceKind.AGGREGATE, purpose=PURPOSE
    ),
}


def urls() -> tuple[list[URLPattern], str, str]:
    """Ninja's URL patterns, declared for the policy registry and answering 401, not a redirect."""
    patterns, app_name, namespace = api.urls
    kept: list[URLPattern] = []
    for pattern in patterns:
        if not isinstance(pattern, URLPattern):
            continue
        declaration = _DECLARATIONS[str(pattern.name)]
        if declaration.kind == "policy":
            # Held to it like every page: a check of another action on
            # aggregates while the route runs is refused, not passed.
            pattern.callback = Declare(declaration)(pattern.callback)
        else:
            setattr(pattern.callback, ATTRIBUTE, declaration)
        login_not_required(pattern.callback)
        kept.append(pattern)
    return kept, app_name, namespace
