"""The clinician's pages: the programme, joining, a check-in one questionnaire at a time, results.

Every page finds the signed-in person's participant row through the policy
(``visible``/``get_for`` with the self-service purpose), so each one is
audited under the token and a token that is not theirs is simply "not found".
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import PolicyArgs, policy, public
from wellkept.access.guards import own_participant, signed_in
from wellkept.access.policy import get_for, visible
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.assessments import selectors, services
from wellkept.assessments.charts import trend_chart
from wellkept.assessments.forms import JoinForm, SubmitForm, instrument_form_class
from wellkept.assessments.history import own_results_over_time
from wellkept.assessments.instruments import Instrument, UnknownInstrument, get_instrument
from wellkept.assessments.models import CheckIn, CheckInStatus, Schedule
from wellkept.assessments.reminders import (
    InvalidUnsubscribeLink,
    reminders_unsubscribe,
    unsubscribe_link_read,
)
from wellkept.consent.notices import notice_summary
from wellkept.consent.selectors import consent_state, current_notice
from wellkept.orgs.models import Participant
from wellkept.orgs.selectors import shift_types_for_org, user_roles

READ_OWN: PolicyArgs = {
    "action": Action.READ,
    "resource": ResourceKind.PARTICIPANT_RECORD,
    "purpose": Purpose.SELF_SERVICE,
}
# Writing pages find the person's own row first (a read, decided and
# audited under the token by own_participant), then write.
WRITE_OWN: PolicyArgs = {
    "action": Action.CREATE,
    "resource": ResourceKind.PARTICIPANT_RECORD,
    "purpose": Purpose.SELF_SERVICE,
    "also": (Action.READ,),
}


def _membership(request: HttpRequest) -> selectors.Membership | None:
    found = selectors.memberships(request.user)
    return found[0] if found else None


@policy(**READ_OWN)
@never_cache
@require_GET
@signed_in
def programme(request: AuthenticatedRequest) -> HttpResponse:
    """Show what to do now: join, renew consent, or the check-ins due and recent results."""
    membership = _membership(request)
    if membership is None:
        return _no_programme(request)
    participant = own_participant(request, membership)
    if participant is None:
        # Someone not taking part is asked straight away: the short notice,
        # the full one a tap away, and the choices, on this one page.
        return _join_page(request, membership)
    state = consent_state(participant)
    if state.needs_renewal:
        return HttpResponseRedirect(reverse("consent:manage"))
    programme_ = membership.programme
    statuses = (
        selectors.schedule_statuses(participant, programme_)
        if programme_ is not None and state.may_collect
        else []
    )
    # One obvious next step: an unfinished check-in, else the first one due.
    open_now = [s for s in statuses if not s.done]
    next_up = next((s for s in open_now if s.in_progress), open_now[0] if open_now else None)
    return render(
        request,
        "assessments/participant/programme.html",
        {
            "membership": membership,
            "participant": participant,
            "state": state,
            "statuses": statuses,
            "next_up": next_up,
            "next_up_size": _size(next_up.schedule) if next_up else None,
            "others": [s for s in statuses if s is not next_up],
            "results": own_results_over_time(
                user=request.user, participant=participant, programme=programme_, request=request
            ),
            "crisis": selectors.crisis_resources(programme_),
            "support": selectors.support_resources(programme_),
        },
    )


def _size(schedule: Schedule) -> dict[str, int]:
    """Count a check-in's questionnaires and questions, to say how long it takes."""
    instruments = []
    for code in schedule.instruments:
        try:
            instruments.append(get_instrument(code))
        except UnknownInstrument:
            continue
    return {
        "questionnaires": len(instruments),
        "questions": sum(len(i.items) for i in instruments),
    }


@policy(**WRITE_OWN)
@never_cache
@require_http_methods(["GET", "POST"])
@signed_in
def join(request: AuthenticatedRequest) -> HttpResponse:
    """Show the notice and the choices; taking part enrols and records consent together."""
    membership = _membership(request)
    if membership is None:
        return _no_programme(request)
    if own_participant(request, membership) is not None:
        return HttpResponseRedirect(reverse("assessments:programme"))
    return _join_page(request, membership)


def _no_programme(request: HttpRequest) -> HttpResponse:
    offered = selectors.programme_offered(request.user, user_roles(request.user))
    return render(
        request, "assessments/participant/no_programme.html", {"not_offered": not offered}
    )


def _join_page(request: AuthenticatedRequest, membership: selectors.Membership) -> HttpResponse:
    if membership.programme is None:
        return render(request, "assessments/participant/no_programme.html")
    organisation = membership.organisation
    notice = current_notice(organisation)
    if notice is None:
        return render(request, "assessments/participant/no_programme.html", {"no_notice": True})
    posted = request.POST if request.method == "POST" else None
    form = JoinForm(
        posted,
        initial={"notice_version": notice.version},
        units=selectors.programme_units(membership.programme),
        shift_types=shift_types_for_org(organisation),
    )
    if posted is not None and form.is_valid():
        if form.cleaned_data["notice_version"] != notice.version:
            form.add_error(
                None,
                "The notice changed while you were reading it. Please read this version "
                "and choose again.",
            )
        else:
            try:
                services.programme_join(
                    actor=request.user,
                    organisation=organisation,
                    notice=notice,
                    unit=form.cleaned_data["unit"],
                    shift_type=form.cleaned_data["shift_type"],
                    role_category=form.cleaned_data["role_category"],
                    follow_up_contact=form.cleaned_data["follow_up_contact"],
                    safety_alert=form.cleaned_data["safety_alert"],
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    "You are taking part. Your receipt is on the My data page.",
                )
                return HttpResponseRedirect(reverse("assessments:programme"))
    return render(
        request,
        "assessments/participant/join.html",
        {
            "form": form,
            "notice": notice,
            "membership": membership,
            "summary": notice_summary(notice.content),
        },
        status=400 if posted is not None else 200,
    )


def _require_participant(request: HttpRequest) -> tuple[selectors.Membership, Participant]:
    membership = _membership(request)
    participant = own_participant(request, membership) if membership else None
    if membership is None or participant is None:
        raise Http404("No such record.")
    return membership, participant


@policy(**WRITE_OWN)
@require_POST
@signed_in
def checkin_start(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    """Start (or resume) this period's check-in for one schedule."""
    membership, participant = _require_participant(request)
    schedule = Schedule.objects.filter(programme=membership.programme, slug=slug).first()
    if schedule is None:
        raise Http404("No such check-in.")
    try:
        checkin = services.checkin_start(
            actor=request.user, participant=participant, schedule=schedule, request=request
        )
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("assessments:programme"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("assessments:programme"))
    if checkin.status == CheckInStatus.SUBMITTED:
        return HttpResponseRedirect(reverse("assessments:result", args=[checkin.pk]))
    answered = services.read_draft(checkin)
    codes = list(schedule.instruments)
    step = next((i for i, code in enumerate(codes, 1) if code not in answered), len(codes))
    return HttpResponseRedirect(reverse("assessments:step", args=[checkin.pk, step]))


def _own_checkin(request: HttpRequest, pk: Any, action: Action = Action.READ) -> CheckIn:
    return get_for(
        actor=request.user,
        queryset=CheckIn.objects.select_related(
            "participant", "participant__organisation", "schedule", "schedule__programme"
        ),
        pk=pk,
        action=action,
        purpose=Purpose.SELF_SERVICE,
        request=request,
    )


@policy(**WRITE_OWN)
@never_cache
@require_http_methods(["GET", "POST"])
@signed_in
def checkin_step(request: AuthenticatedRequest, pk: Any, step: int) -> HttpResponse:
    """Ask one questionnaire; keep its answers (encrypted) and go on, or submit at the end."""
    checkin = _own_checkin(request, pk)
    if checkin.status == CheckInStatus.SUBMITTED:
        return HttpResponseRedirect(reverse("assessments:result", args=[checkin.pk]))
    codes = list(checkin.schedule.instruments)
    if not 1 <= step <= len(codes):
        raise Http404("No such step.")
    instrument = get_instrument(codes[step - 1])
    draft = services.read_draft(checkin)
    form_class = instrument_form_class(instrument)
    form = form_class(request.POST or None, initial=draft.get(instrument.code, {}))
    last = step == len(codes)
    submit = SubmitForm(request.POST or None, initial={"idempotency_key": checkin.idempotency_key})
    if request.method == "POST" and form.is_valid():
        try:
            services.checkin_save_answers(
                actor=request.user,
                checkin=checkin,
                instrument_code=instrument.code,
                answers=form.cleaned_data,
                request=request,
            )
            if last:
                if not submit.is_valid():
                    raise services.CheckInClosed(
                        "This form is incomplete. Please reload the page and submit again.",
                        code="tampered",
                    )
                services.checkin_submit(
                    actor=request.user,
                    checkin=checkin,
                    idempotency_key=submit.cleaned_data["idempotency_key"],
                    request=request,
                )
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("assessments:programme"))
        except services.CheckInClosed as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(reverse("assessments:programme"))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            if last:
                return HttpResponseRedirect(reverse("assessments:result", args=[checkin.pk]))
            return HttpResponseRedirect(reverse("assessments:step", args=[checkin.pk, step + 1]))
    return render(
        request,
        "assessments/participant/step.html",
        {
            "checkin": checkin,
            "instrument": instrument,
            "form": form,
            "submit": submit,
            "step": step,
            "steps": len(codes),
            "last": last,
            "previous": step - 1 if step > 1 else None,
        },
        status=400 if request.method == "POST" else 200,
    )


@policy(
    action=Action.DELETE,
    resource=ResourceKind.PARTICIPANT_RECORD,
    purpose=Purpose.SELF_SERVICE,
    also=(Action.READ,),
)
@require_POST
@signed_in
def checkin_discard(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Throw away an unfinished check-in."""
    checkin = _own_checkin(request, pk)
    try:
        services.checkin_discard(actor=request.user, checkin=checkin, request=request)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.info(request, "The unfinished check-in and its answers were thrown away.")
    return HttpResponseRedirect(reverse("assessments:programme"))


def _result_rows(
    request: HttpRequest, checkin: CheckIn
) -> tuple[list[dict[str, Any]], bool, list[str]]:
    rows: list[dict[str, Any]] = []
    safety = False
    suggestions: list[str] = []
    responses = visible(
        request.user,
        Action.READ,
        checkin.responses.all(),
        Purpose.SELF_SERVICE,
        request=request,
    )
    order = {code: i for i, code in enumerate(checkin.schedule.instruments)}
    for response in sorted(responses, key=lambda r: order.get(r.instrument, 99)):
        payload = selectors.decode_payload(response)
        if payload is None:
            continue
        instrument: Instrument = get_instrument(response.instrument, response.instrument_version)
        band = instrument.band_for(payload["total"]) if payload.get("total") is not None else None
        history = selectors.own_history(
            user=request.user,
            participant=checkin.participant,
            instrument=instrument.code,
            request=request,
        )
        safety = safety or bool(payload.get("safety"))
        suggestions.extend(payload.get("suggestions") or [])
        rows.append(
            {
                "instrument": instrument,
                "payload": payload,
                "band": band,
                "history": history[-12:],
                "previous": history[-2] if len(history) >= 2 else None,
                "chart": trend_chart(instrument, history),
            }
        )
    return rows, safety, suggestions


@policy(**READ_OWN)
@never_cache
@require_GET
@signed_in
def checkin_result(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Show each score in plain words, the person's trend, and resources (crisis lines first)."""
    checkin = _own_checkin(request, pk)
    if checkin.status != CheckInStatus.SUBMITTED:
        return HttpResponseRedirect(reverse("assessments:step", args=[checkin.pk, 1]))
    rows, safety, suggestions = _result_rows(request, checkin)
    programme_ = checkin.schedule.programme
    state = consent_state(checkin.participant)
    return render(
        request,
        "assessments/participant/result.html",
        {
            "checkin": checkin,
            "rows": rows,
            "safety": safety,
            "alerted": safety and checkin.responses.filter(alert__isnull=False).exists(),
            "safety_alerts_agreed": state.safety_alert,
            "suggest_phq9": "phq9" in suggestions,
            "suggest_screening": "depression_screening" in suggestions,
            "crisis": selectors.crisis_resources(programme_),
            "support": selectors.support_resources(programme_),
        },
    )


@policy(**READ_OWN)
@never_cache
@require_GET
@signed_in
def history(request: AuthenticatedRequest) -> HttpResponse:
    """Show each questionnaire's scores over time, what the bands mean, and the latest change."""
    membership, participant = _require_participant(request)
    results = own_results_over_time(
        user=request.user,
        participant=participant,
        programme=membership.programme,
        request=request,
    )
    return render(
        request,
        "assessments/participant/history.html",
        {"membership": membership, "results": results},
    )


# ---- The unsubscribe link in reminder e-mails ----------------------------------------


@public
@login_not_required
@never_cache
# The one-click unsubscribe of RFC 8058: the recipient's mail provider POSTs
# "List-Unsubscribe=One-Click" to this URL from its own servers, with no
# cookie and no CSRF token, so the usual check would refuse every one of
# them. The signed value in the URL is the only authority here: a forged
# cross-site POST could at worst turn off the reminders of the person whose
# link the forger already holds, which the link itself lets them do anyway.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, signed: str) -> HttpResponse:
    """GET: ask for confirmation (mail scanners follow links). POST: turn reminders off."""
    try:
        if request.method == "POST":
            reminders_unsubscribe(signed=signed)
            return render(request, "assessments/participant/unsubscribed.html")
        unsubscribe_link_read(signed)
    except InvalidUnsubscribeLink:
        return render(request, "assessments/participant/unsubscribe_invalid.html", status=400)
    return render(request, "assessments/participant/unsubscribe.html", {"signed": signed})
