"""The privacy officer's disclosure-control settings: minimum group size, differential privacy.

The page is the privacy officer's alone, chosen like their other pages;
everyone else, dashboard viewers included, gets the same 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import privacy_officer_only, reauth_required
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.assessments.instruments import instruments as shipped_instruments
from wellkept.insights.disclosure import ENROLMENT, settings_for
from wellkept.insights.forms import InsightsSettingsForm
from wellkept.insights.models import PrivacyBudget
from wellkept.insights.periods import Grain, period_of
from wellkept.insights.periods import label as period_label
from wellkept.insights.services import insights_settings_update
from wellkept.orgs.models import Organisation

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
def disclosure_settings(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Show and change the minimum group size and differential privacy, with the budget spent."""
    current = settings_for(organisation)
    form = InsightsSettingsForm(
        request.POST or None,
        initial={name: getattr(current, name) for name in SETTINGS_FIELDS},
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = insights_settings_update(
                actor=request.user,
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
        "insights/privacy/settings.html",
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
