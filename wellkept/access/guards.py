"""The view guards, in one place: own participant row, audiences, re-authentication.

A view declares what it touches with ``@policy`` (``access.decorators``);
these guards do the checks every view of an audience shares, through the
policy, so that a refusal looks like a missing page and is audited:

- ``signed_in``: a signed-in person, whom the view's services may name
  (the participant's and each person's own pages).
- ``own_participant``: the signed-in person's own participant row, decided
  and audited under the token (participant pages).
- ``privacy_officer_only``: the organisation the person is privacy officer
  of, a second factor, and the policy's decision for the declared action
  (privacy pages).
- ``team_only`` and ``leaders_only`` (``audience_only``): a role of the
  audience in the page's organisation and the policy's decision for the
  declared action (the follow-up team's and the dashboards' pages).
- ``practice_only``: a role of the practice's staff in the page's
  organisation; the policy decides per client in the page's accessor.
- ``reauth_required`` before the view, or ``fresh`` and
  ``reauthenticate_then`` after the decision: a recent proof of identity for
  sensitive actions.

``access`` sits below ``orgs`` and ``accounts`` (docs/architecture.md), so
the two facts it needs from them, which organisation a person chose and
which second factors they hold, are registered by those apps at ``ready()``
rather than imported. With nothing registered the guards refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, NamedTuple, Protocol, TypeVar

from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import serving_declaration
from wellkept.access.policy import can, decide, roles_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind, resource_of
from wellkept.access.rules import AccessRole
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record

View = TypeVar("View", bound=Callable[..., HttpResponse])
T_co = TypeVar("T_co", covariant=True)

FUTURE_TOLERANCE_SECONDS = 5


# ---- What the apps above register ---------------------------------------------------

SecondFactorTypes = Callable[[Any], set[str]]
OrganisationChoice = Callable[[Any, str | None, frozenset[AccessRole]], Any | None]

_SECOND_FACTOR_TYPES: list[SecondFactorTypes] = []
_ORGANISATION_CHOICE: list[OrganisationChoice] = []


def register_second_factor_types(lookup: SecondFactorTypes) -> None:
    """Set how to list a user's second factors (from accounts' ready())."""
    _SECOND_FACTOR_TYPES[:] = [lookup]


def register_organisation_choice(choose: OrganisationChoice) -> None:
    """Set how to find the organisation a page is for (from orgs' ready()).

    ``choose(user, slug, roles)`` returns the organisation named by ``slug``
    (whoever asks: the policy decides next), or without a slug the first in
    which the user holds one of ``roles``, or None.
    """
    _ORGANISATION_CHOICE[:] = [choose]


def second_factor_types(user: Any) -> set[str]:
    if not _SECOND_FACTOR_TYPES or not getattr(user, "is_authenticated", False):
        return set()
    return _SECOND_FACTOR_TYPES[0](user)


def has_second_factor(user: Any) -> bool:
    return bool(second_factor_types(user))


class _Named(Protocol):
    slug: str


def org_query(organisation: _Named) -> str:
    """The ``?org=<slug>`` that ``chosen_organisation`` reads, for a link back to the same one."""
    return "?" + urlencode({"org": organisation.slug})


def chosen_organisation(
    request: HttpRequest, roles: AccessRole | frozenset[AccessRole]
) -> Any | None:
    """The organisation ``?org=<slug>`` names, else the first where the user holds a role."""
    if not _ORGANISATION_CHOICE:
        return None
    wanted = frozenset({roles}) if isinstance(roles, AccessRole) else roles
    return _ORGANISATION_CHOICE[0](request.user, request.GET.get("org") or None, wanted)


# ---- Participant pages --------------------------------------------------------------


class HasParticipant(Protocol[T_co]):
    """Anything that found a person's participant row by the keyed link (a membership)."""

    @property
    def participant(self) -> T_co | None: ...


def own_participant(request: HttpRequest, membership: HasParticipant[T_co]) -> T_co | None:
    """Return the signed-in person's participant row of a membership, through the policy.

    The membership found the row by the keyed link; here it is decided and
    audited under the token. Someone not enrolled leaves no entry at all: an
    entry under their user id on every visit would tell the trail's readers
    who declined.
    """
    participant = membership.participant
    if participant is None:
        return None
    resource = resource_of(participant)  # type: ignore[arg-type]
    if not can(request.user, Action.READ, resource, Purpose.SELF_SERVICE, request=request):
        return None
    return participant


# ---- Declared views ------------------------------------------------------------------


def _declared_or_refuse(view: Callable[..., HttpResponse], guard: str) -> _Declared:
    declared = serving_declaration()
    if (
        declared is None
        or declared.action is None
        or declared.resource is None
        or declared.purpose is None
    ):
        # A programming error, refused on the first request (the URL
        # coverage test makes one to every page).
        raise ImproperlyConfigured(f"{view.__qualname__} needs @policy(...) above @{guard}.")
    return _Declared(declared.action, declared.resource, declared.purpose)


class _Declared(NamedTuple):
    action: Action
    kind: ResourceKind
    purpose: Purpose


# ---- Signed-in pages -----------------------------------------------------------------


def signed_in(view: View) -> View:
    """Serve the view only to a signed-in person, so it may take an ``AuthenticatedRequest``.

    ``LoginRequiredMiddleware`` already sends anyone else to the login page;
    this states it where the view is written, holds should the middleware
    ever be bypassed (a view imported into another URLconf, a test client
    with the middleware off), and lets the services the view calls take
    ``actor: Actor`` rather than a caller who might be nobody.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.wellkept_signed_in = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


# ---- Privacy officer pages ----------------------------------------------------------


def organisation_resource(kind: ResourceKind, organisation: Any | None, what: str) -> Resource:
    if organisation is None:
        # Nothing to name: the refusal is recorded against the page alone.
        return Resource(kind=kind, reference=f"{kind.value}:{what}")
    return Resource(
        kind=kind, reference=f"{what}:{organisation.pk}", organisation_id=organisation.pk
    )


def privacy_officer_only(*, what: str) -> Callable[[View], View]:
    """Pass the organisation to the view, or answer 404 to anyone but its privacy officer.

    The action, resource kind and purpose are the view's own ``@policy``
    declaration, written once above this guard, which serves the view: the
    guard decides on them, and while the view runs every decision on that
    resource kind must be for the declared action
    (``access.decorators.check_declared``). The
    decision here is the policy's, made without writing: on the allowed path
    the view makes the one audited access for what it shows; a refusal is
    audited here, before the view (or a re-authentication prompt, which
    would tell that the page exists) is reached.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # ``@policy`` above this guard serves the view under its
            # declaration; the guard decides on the same one.
            action, kind, purpose = _declared_or_refuse(view, "privacy_officer_only")
            organisation = chosen_organisation(request, AccessRole.PRIVACY_OFFICER)
            resource = organisation_resource(kind, organisation, what)
            if not has_second_factor(request.user):
                # The enrolment middleware sends staff without a second factor
                # elsewhere first; this holds should it ever be bypassed.
                audit_record(
                    actor=request.user,
                    event=EventType.ACCESS_DENIED,
                    target=resource.reference,
                    outcome=Outcome.DENIED,
                    reason="privacy pages need a second factor",
                    purpose=purpose.value,
                    request=request,
                )
                raise Http404
            decision = decide(actor=request.user, action=action, resource=resource, purpose=purpose)
            if organisation is None or not decision.allowed:
                can(request.user, action, resource, purpose, request=request)
                raise Http404
            return view(request, organisation, *args, **kwargs)

        wrapper.wellkept_guard = "privacy_officer"  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


# ---- Team and leaders' pages --------------------------------------------------------

# The follow-up team works cases by token; the dashboards' audience sees
# aggregates only. Each is a set of roles held in the page's organisation.
FOLLOW_UP_TEAM = frozenset({AccessRole.WELLBEING_OFFICER, AccessRole.SPECIALIST})
DASHBOARD_AUDIENCE = frozenset({AccessRole.LEADER, AccessRole.WELLBEING_OFFICER})


def audience_only(
    *, roles: frozenset[AccessRole], what: str, name: str = "audience_only"
) -> Callable[[View], View]:
    """Pass the organisation to the view, or answer 404 to anyone outside the audience there.

    The audience is whoever holds one of ``roles`` in the page's organisation
    (``?org=<slug>``, else the person's first where they hold one) and whom
    the policy allows the view's declared action on it. Both are needed: the
    policy alone would let every role with the same rule in (a wellbeing
    officer may read aggregates, but the leaders' pages are not theirs to
    serve), the role alone would bypass purpose and consent. A refusal is
    audited here, through the same decision, before the view is reached.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            action, kind, purpose = _declared_or_refuse(view, name)
            organisation = chosen_organisation(request, roles)
            resource = organisation_resource(kind, organisation, what)
            held = (
                roles_in(request.user, organisation.pk) & roles
                if organisation is not None and request.user.is_authenticated
                else frozenset()
            )
            decision = decide(actor=request.user, action=action, resource=resource, purpose=purpose)
            if not held or not decision.allowed:
                if decision.allowed:
                    # The policy would allow it, the audience does not: the
                    # refusal is recorded with the reason, as the policy's are.
                    audit_record(
                        actor=request.user,
                        event=EventType.ACCESS_DENIED,
                        target=resource.reference,
                        outcome=Outcome.DENIED,
                        reason=f"not in this page's audience ({name})",
                        purpose=purpose.value,
                        request=request,
                    )
                else:
                    can(request.user, action, resource, purpose, request=request)
                raise Http404
            return view(request, organisation, *args, **kwargs)

        wrapper.wellkept_guard = name  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def team_only(*, what: str) -> Callable[[View], View]:
    """Pass the organisation to the view, or 404 to anyone off its follow-up team."""
    return audience_only(roles=FOLLOW_UP_TEAM, what=what, name="team_only")


def leaders_only(*, what: str) -> Callable[[View], View]:
    """Pass the organisation to the view, or 404 to anyone outside its dashboards' audience."""
    return audience_only(roles=DASHBOARD_AUDIENCE, what=what, name="leaders_only")


# The confidential practice's staff. Its clinical roles reach only their
# assigned clients, which no decision on the organisation as a whole can say.
PRACTICE_STAFF = frozenset(
    {
        AccessRole.SPECIALIST,
        AccessRole.CLINICAL_SUPERVISOR,
        AccessRole.FRONT_DESK,
        AccessRole.BILLING,
    }
)
PRACTICE_DESK = frozenset({AccessRole.FRONT_DESK})


def practice_only(
    *, what: str, roles: frozenset[AccessRole] = PRACTICE_STAFF
) -> Callable[[View], View]:
    """Pass the practice to the view, or answer 404 to anyone without one of ``roles`` there.

    Unlike ``audience_only`` this guard takes no decision on the organisation:
    a therapist may read their assigned clients only, which a decision on
    the practice as a whole would either refuse or over-allow. Every
    practice page therefore reads what it shows through the policy for its
    declared action, per client (``visible`` for lists, ``get_for`` for
    one client), and its services decide again before they write. Here the
    audience is checked, and a refusal audited, before the view is reached.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            _action, kind, purpose = _declared_or_refuse(view, "practice_only")
            organisation = chosen_organisation(request, roles)
            held = (
                roles_in(request.user, organisation.pk) & roles
                if organisation is not None and request.user.is_authenticated
                else frozenset()
            )
            if not held:
                resource = organisation_resource(kind, organisation, what)
                audit_record(
                    actor=request.user,
                    event=EventType.ACCESS_DENIED,
                    target=resource.reference,
                    outcome=Outcome.DENIED,
                    reason="not in this page's audience (practice_only)",
                    purpose=purpose.value,
                    request=request,
                )
                raise Http404
            return view(request, organisation, *args, **kwargs)

        wrapper.wellkept_guard = "practice_only"  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


# ---- Re-authentication --------------------------------------------------------------


def recently_authenticated(request: HttpRequest) -> bool:
    """True when the session holds a strong enough authentication within the window.

    With a second factor enrolled only an MFA step counts (at sign-in or a
    re-authentication); a participant without one must have given their
    password. allauth records each step in the session with its time.
    """
    user = request.user
    if not user.is_authenticated:
        return False
    method = "mfa" if second_factor_types(user) else "password"
    now = clock.now().timestamp()
    window = settings.WELLKEPT_REAUTH_SECONDS
    for record in get_authentication_records(request, user):
        at = record.get("at")
        # A record from the future does not count, beyond a few seconds
        # allowed for allauth timing with time.time() and us with the clock.
        if (
            record.get("method") == method
            and isinstance(at, int | float)
            and -FUTURE_TOLERANCE_SECONDS <= now - at <= window
        ):
            return True
    return False


def reauthentication_url(request: HttpRequest) -> str:
    """Where to prove identity again, coming back to this page afterwards."""
    types = second_factor_types(request.user)
    if Authenticator.Type.TOTP in types:
        name = "mfa_reauthenticate"
    elif Authenticator.Type.WEBAUTHN in types:
        name = "mfa_reauthenticate_webauthn"
    else:
        # No second factor yet (a participant, or staff on the way to
        # enrolment, which needs this too): the password it is.
        name = "account_reauthenticate"
    return f"{reverse(name)}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}"


def reauth_required(view_func: View) -> View:
    """Require an MFA authentication no older than WELLKEPT_REAUTH_SECONDS.

    Use on views that change how an account is protected or reveal secrets.
    A POST that needs re-authentication is not replayed afterwards: the
    person comes back to the page and submits it again, which is simpler
    than parking form data (possibly personal) in the session.
    """

    @wraps(view_func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            # Only reachable from a view exempt from LoginRequiredMiddleware.
            return redirect_to_login(request.get_full_path())
        if recently_authenticated(request):
            return view_func(request, *args, **kwargs)
        return HttpResponseRedirect(reauthentication_url(request))

    return wrapper  # type: ignore[return-value]


def fresh(request: HttpRequest) -> bool:
    """True when the person proved their second factor within the re-authentication window.

    For pages where the policy decides first (so that someone who may not see
    the page gets a 404, never a prompt that tells them it exists) and asks
    for a fresh proof only then.
    """
    return has_second_factor(request.user) and recently_authenticated(request)


def reauthenticate_then(request: HttpRequest, path: str) -> HttpResponseRedirect:
    """Send the person to prove their second factor, then back to ``path``."""
    base = reauthentication_url(request).split("?", 1)[0]
    return HttpResponseRedirect(f"{base}?{urlencode({REDIRECT_FIELD_NAME: path})}")
