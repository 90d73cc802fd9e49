"""The practice staff's schedule pages (/practice/schedule/) and the calendar feed.

A calendar shows one therapist's week or day: their own to a therapist,
any therapist's to the front desk and billing, a supervisee's to their
clinical supervisor. Appointments show the client's code, the time and the
place; the preferred name only to those who see it in the client list.
Billing reads the schedule and never books. Every read goes through the
policy (``visible`` or ``get_for``, audited) and every change through the
services, which decide again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import policy, public
from wellkept.access.guards import practice_only
from wellkept.access.policy import roles_in, visible
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.access.rules import AccessRole
from wellkept.accounts.models import User
from wellkept.actors import AuthenticatedRequest
from wellkept.orgs.models import Organisation
from wellkept.practice import ics, selectors, services
from wellkept.practice.forms import BookingForm, MarkForm, SlotForm
from wellkept.practice.models import Appointment, AppointmentStatus
from wellkept.practice.views.acting import act_on_form, act_then_back
from wellkept.practice.views.practice.clients import NAMES_SHOWN_TO

APPOINTMENT = ResourceKind.APPOINTMENT
PURPOSE = Purpose.CLINICAL_CARE
# Who books: the front desk for any therapist, a therapist in their own calendar.
BOOKERS = frozenset({AccessRole.FRONT_DESK, AccessRole.SPECIALIST})
# Who has a calendar feed: a therapist, of their own calendar.
THERAPISTS = frozenset({AccessRole.SPECIALIST})
# Who may open any therapist's calendar of the practice.
WHOLE_PRACTICE = frozenset({AccessRole.FRONT_DESK, AccessRole.BILLING})
# A feed lists the past weeks too, so a phone keeps what was done; not forever.
FEED_PAST = dt.timedelta(days=28)
FEED_AHEAD = dt.timedelta(days=366)
# How far from today a calendar may be paged.
FARTHEST = dt.timedelta(days=3660)


def _query(organisation: Organisation, **more: str) -> str:
    return "?" + urlencode({"org": organisation.slug, **more})


def _detail_url(appointment: Appointment, organisation: Organisation) -> str:
    return reverse("practice:appointment", args=[appointment.pk]) + _query(organisation)


def _calendar_url(organisation: Organisation, therapist: Any, day: dt.date) -> str:
    return reverse("practice:schedule") + _query(
        organisation, therapist=str(therapist.pk), day=day.isoformat()
    )


def _calendars(user: User, organisation: Organisation) -> list[User]:
    """The therapists whose calendars the user may choose from, by role."""
    roles = roles_in(user, organisation.pk)
    therapists = selectors.therapists(organisation)
    if roles & WHOLE_PRACTICE:
        return therapists
    supervised = selectors.supervisee_ids(user, organisation)
    return [t for t in therapists if t.pk == user.pk or t.pk in supervised]


def _chosen_therapist(request: AuthenticatedRequest, organisation: Organisation) -> User | None:
    """The calendar asked for (``?therapist=``), else one's own, else the first; or 404.

    None when the reader may open no calendar at all (a supervisor with no
    supervisee yet): the page says so rather than pretending not to exist.
    """
    choices = _calendars(request.user, organisation)
    wanted = request.GET.get("therapist", "")
    if not wanted:
        own = next((t for t in choices if t.pk == request.user.pk), None)
        first = own or (choices[0] if choices else None)
        if first is None:
            return None
        wanted = str(first.pk)
    # Any therapist of the practice may be asked for; the policy decides (and
    # audits a refusal), not the list offered.
    found = next((t for t in selectors.therapists(organisation) if str(t.pk) == wanted), None)
    # Decided (and audited) even for one's own calendar: the page is a read of it.
    if found is None or not selectors.may_read_calendar(
        actor=request.user, organisation=organisation, therapist=found, request=request
    ):
        raise Http404
    return found


def _day(request: HttpRequest) -> dt.date:
    """The day asked for (``?day=YYYY-MM-DD``), else today; a far-off day is today too."""
    today = clock.now().astimezone(services.practice_zone()).date()
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return today
    # Past year 9999 the week's arithmetic overflows: answer with today, not a crash.
    return day if abs(day - today) <= FARTHEST else today


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(services.practice_zone())


def _rows(appointments: list[Appointment], show_names: bool) -> list[dict[str, Any]]:
    return [
        {
            "appointment": a,
            "start": _local(a.start),
            "end": _local(a.end),
            "name": a.client.preferred_name if show_names else "",
        }
        for a in appointments
    ]


def _calendar(request: AuthenticatedRequest, organisation: Organisation, days: int) -> HttpResponse:
    therapist = _chosen_therapist(request, organisation)
    if therapist is None:
        return render(
            request,
            "practice/practice/schedule/no_calendar.html",
            {"organisation": organisation},
        )
    zone = services.practice_zone()
    day = _day(request)
    first = day - dt.timedelta(days=day.weekday()) if days == 7 else day
    start = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(first + dt.timedelta(days=days), dt.time(0), tzinfo=zone)
    roles = roles_in(request.user, organisation.pk)
    show_names = bool(roles & NAMES_SHOWN_TO)
    appointments = selectors.calendar(
        actor=request.user,
        organisation=organisation,
        therapist=therapist,
        start=start,
        end=end,
        request=request,
        names=show_names,
    )
    rows = _rows(appointments, show_names)
    by_day = [
        (
            first + dt.timedelta(days=n),
            [r for r in rows if r["start"].date() == first + dt.timedelta(days=n)],
        )
        for n in range(days)
    ]
    own = therapist.pk == request.user.pk
    return render(
        request,
        "practice/practice/schedule/calendar.html",
        {
            "organisation": organisation,
            "therapist": therapist,
            "therapist_label": selectors.staff_label(therapist),
            "calendars": [
                (t, selectors.staff_label(t)) for t in _calendars(request.user, organisation)
            ],
            "days": by_day,
            "span": "week" if days == 7 else "day",
            "first": first,
            "previous": _calendar_url(organisation, therapist, first - dt.timedelta(days=days)),
            "next": _calendar_url(organisation, therapist, first + dt.timedelta(days=days)),
            "zone": str(zone),
            "may_book": bool(roles & BOOKERS) and (own or AccessRole.FRONT_DESK in roles),
            "own": own,
            "feed": selectors.live_feed(therapist, organisation) if own else None,
            "org_query": _query(organisation),
        },
    )


@policy(action=Action.READ, resource=APPOINTMENT, purpose=PURPOSE)
@practice_only(what="practice-schedule")
@never_cache
@require_GET
def schedule_week(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Show one therapist's week, Monday to Sunday, in the practice's time zone."""
    return _calendar(request, organisation, 7)


@policy(action=Action.READ, resource=APPOINTMENT, purpose=PURPOSE)
@practice_only(what="practice-schedule-day")
@never_cache
@require_GET
def schedule_day(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Show one therapist's day."""
    return _calendar(request, organisation, 1)


def _client_choices(
    request: AuthenticatedRequest, organisation: Organisation
) -> list[tuple[str, str]]:
    roles = roles_in(request.user, organisation.pk)
    clients = selectors.client_list(actor=request.user, organisation=organisation, request=request)
    names = bool(roles & NAMES_SHOWN_TO)
    return [
        (
            str(c.pk),
            f"{c.code} ({c.preferred_name})" if names and c.preferred_name else c.code,
        )
        for c in clients
    ]


def _booking_therapists(user: User, organisation: Organisation) -> list[User]:
    if AccessRole.FRONT_DESK in roles_in(user, organisation.pk):
        return selectors.therapists(organisation)
    return [t for t in selectors.therapists(organisation) if t.pk == user.pk]


@policy(action=Action.CREATE, resource=APPOINTMENT, purpose=PURPOSE)
@practice_only(what="practice-appointment-new", roles=BOOKERS)
@never_cache
@require_http_methods(["GET", "POST"])
def appointment_new(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Book an appointment, or a weekly or fortnightly series of them."""
    therapists = _booking_therapists(request.user, organisation)
    form = BookingForm(
        request.POST or None,
        initial={
            "client": request.GET.get("client", ""),
            "therapist": request.GET.get("therapist", str(request.user.pk)),
        },
        rooms=selectors.rooms(organisation),
        clients=_client_choices(request, organisation),
        therapists=[(str(t.pk), selectors.staff_label(t)) for t in therapists],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        therapist = next(t for t in therapists if str(t.pk) == data["therapist"])
        client = selectors.get_client_for(
            actor=request.user,
            organisation=organisation,
            pk=data["client"],
            request=request,
            action=Action.READ,
        )
        when = form.slot(services.practice_zone())
        try:
            if data["repeat"]:
                series = services.appointment_series_book(
                    actor=request.user,
                    client=client,
                    therapist=therapist,
                    first=when,
                    recurrence=data["repeat"],
                    count=data["count"],
                    until=data["until"],
                    request=request,
                )
                booked = series.appointments.count()
                messages.success(request, f"{booked} appointments booked for {client.code}.")
                return HttpResponseRedirect(
                    _calendar_url(organisation, therapist, _local(when.start).date())
                )
            appointment = services.appointment_book(
                actor=request.user, client=client, therapist=therapist, slot=when, request=request
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Appointment booked for {client.code}.")
            return HttpResponseRedirect(_detail_url(appointment, organisation))
    return render(
        request,
        "practice/practice/schedule/book.html",
        {"organisation": organisation, "form": form, "zone": str(services.practice_zone())},
    )


def _may_change(user: User, organisation: Organisation, appointment: Appointment) -> bool:
    roles = roles_in(user, organisation.pk)
    return AccessRole.FRONT_DESK in roles or (
        AccessRole.SPECIALIST in roles and appointment.therapist_id == user.pk
    )


@policy(action=Action.READ, resource=APPOINTMENT, purpose=PURPOSE)
@practice_only(what="practice-appointment")
@never_cache
@require_GET
def appointment_detail(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Show one appointment: when, where, with whom (by code), its status and its actions."""
    appointment = selectors.get_appointment_for(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    roles = roles_in(request.user, organisation.pk)
    may_change = _may_change(request.user, organisation, appointment)
    return render(
        request,
        "practice/practice/schedule/detail.html",
        {
            "organisation": organisation,
            "appointment": appointment,
            "start": _local(appointment.start),
            "end": _local(appointment.end),
            "zone": str(services.practice_zone()),
            "name": appointment.client.preferred_name if roles & NAMES_SHOWN_TO else "",
            "therapist_label": selectors.staff_label(appointment.therapist),
            "may_change": may_change and appointment.status != AppointmentStatus.CANCELLED,
            "may_move": may_change and appointment.status == AppointmentStatus.BOOKED,
            "marks": MarkForm().fields["status"].choices,  # type: ignore[attr-defined]
            "calendar_url": _calendar_url(
                organisation, appointment.therapist, _local(appointment.start).date()
            ),
            "org_query": _query(organisation),
            # Telehealth (issue 19): a link only; the session page decides again.
            "may_video": appointment.telehealth
            and appointment.status == AppointmentStatus.BOOKED
            and AccessRole.SPECIALIST in roles
            and appointment.therapist_id == request.user.pk,
        },
    )


@policy(action=Action.UPDATE, resource=APPOINTMENT, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-appointment-move", roles=BOOKERS)
@never_cache
@require_http_methods(["GET", "POST"])
def appointment_move(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Move an appointment to another time or place."""
    appointment = selectors.get_appointment_for(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.UPDATE
    )
    rooms = selectors.rooms(organisation)
    if request.method == "POST":
        form = SlotForm(request.POST, rooms=rooms)
        if form.is_valid():
            done = act_on_form(
                request,
                form,
                act=lambda: services.appointment_reschedule(
                    actor=request.user,
                    appointment=appointment,
                    slot=form.slot(services.practice_zone()),
                    request=request,
                ),
                done="Appointment moved.",
                then=_detail_url(appointment, organisation),
            )
            if done is not None:
                return done
    else:
        start = _local(appointment.start)
        form = SlotForm(
            initial={
                "date": start.date(),
                "time": start.time().replace(tzinfo=None),
                "minutes": int((appointment.end - appointment.start).total_seconds() // 60),
                "place": "video" if appointment.telehealth else str(appointment.room_id),
            },
            rooms=rooms,
        )
    return render(
        request,
        "practice/practice/schedule/move.html",
        {
            "organisation": organisation,
            "appointment": appointment,
            "form": form,
            "zone": str(services.practice_zone()),
            "org_query": _query(organisation),
        },
    )


@policy(action=Action.UPDATE, resource=APPOINTMENT, purpose=PURPOSE)
@practice_only(what="practice-appointment-cancel", roles=BOOKERS)
@require_POST
def appointment_cancel(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Cancel an appointment in good time; the slot is free again."""
    appointment = selectors.get_appointment_for(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    return act_then_back(
        request,
        act=lambda: services.appointment_cancel(
            actor=request.user, appointment=appointment, request=request
        ),
        done="Appointment cancelled.",
        back=_detail_url(appointment, organisation),
    )


@policy(action=Action.UPDATE, resource=APPOINTMENT, purpose=PURPOSE)
@practice_only(what="practice-appointment-mark", roles=BOOKERS)
@require_POST
def appointment_mark(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Mark an appointment attended, cancelled late or missed."""
    appointment = selectors.get_appointment_for(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    form = MarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose attended, late cancellation or did not attend.")
        return HttpResponseRedirect(_detail_url(appointment, organisation))
    return act_then_back(
        request,
        act=lambda: services.appointment_mark(
            actor=request.user,
            appointment=appointment,
            status=form.cleaned_data["status"],
            request=request,
        ),
        done=lambda marked: f"Marked: {marked.get_status_display().lower()}.",
        back=_detail_url(appointment, organisation),
    )


@policy(action=Action.CREATE, resource=APPOINTMENT, purpose=PURPOSE)
@practice_only(what="practice-calendar-feed", roles=THERAPISTS)
@never_cache
@require_POST
def feed_create(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Give the therapist a private feed address for their calendar app, shown once."""
    try:
        issued = services.calendar_feed_create(
            actor=request.user, organisation=organisation, request=request
        )
    except PermissionDenied:
        raise Http404 from None
    address = request.build_absolute_uri(reverse("practice:calendar_feed", args=[issued.raw]))
    # Rendered, not redirected: the address must not pass through the
    # session's message store.
    return render(
        request,
        "practice/practice/schedule/feed_created.html",
        {"organisation": organisation, "address": address, "org_query": _query(organisation)},
    )


@policy(action=Action.UPDATE, resource=APPOINTMENT, purpose=PURPOSE)
@practice_only(what="practice-calendar-feed-revoke", roles=THERAPISTS)
@require_POST
def feed_revoke(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Stop the therapist's calendar feed: its address answers "not found" from now on."""
    return act_then_back(
        request,
        act=lambda: services.calendar_feed_revoke(
            actor=request.user, organisation=organisation, request=request
        ),
        done="Calendar feed stopped.",
        back=reverse("practice:schedule") + _query(organisation),
    )


# The feed is fetched by a calendar app, which cannot sign in: the secret in
# its address is the only authority (like an API token, stored as prefix and
# keyed MAC). Declared public because no session is needed; what it shows is
# read through the policy as the feed's therapist (``visible``, audited),
# so a therapist who loses the role stops the feed too. It shows client codes
# and rooms only, never a name.
@public
@login_not_required
@never_cache
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Serve a therapist's calendar as iCalendar text, or 404 for a wrong or stopped secret."""
    feed = selectors.feed_for(token)
    if feed is None:
        raise Http404
    now = clock.now()
    rows = visible(
        feed.therapist,
        Action.READ,
        Appointment.objects.filter(
            organisation=feed.organisation,
            therapist=feed.therapist,
            start__gte=now - FEED_PAST,
            start__lt=now + FEED_AHEAD,
        ).select_related("client", "room", "case"),
        PURPOSE,
        request=request,
    )
    text = ics.calendar_text(rows.order_by("start"), name=feed.organisation.name, generated=now)
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["X-Robots-Tag"] = "noindex"
    return response
