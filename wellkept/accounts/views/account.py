"""Each person's own account: overview, accepting an invitation, guards around allauth."""

from __future__ import annotations

from typing import Any

from allauth.account import views as account_views
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes import views as recovery_code_views
from allauth.mfa.totp import views as totp_views
from allauth.mfa.webauthn import views as webauthn_views
from allauth.usersessions import views as usersession_views
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from wellkept.access.actions import Action
from wellkept.access.decorators import policy, public, self_service
from wellkept.access.guards import reauth_required
from wellkept.access.policy import get_for
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.accounts import session_secrets, totp
from wellkept.accounts.forms import AcceptInvitationForm
from wellkept.accounts.models import User
from wellkept.accounts.selectors import (
    administered_organisations,
    authenticator_removal_refusal,
    invitation_find_usable,
    staff_roles,
    user_second_factor_types,
)
from wellkept.accounts.services import (
    InvitationInvalid,
    invitation_accept,
)
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record
from wellkept.orgs.models import InviteeRole


def signed_in_user(request: HttpRequest) -> User:
    """The person behind a page that only a signed-in person reaches; 404 for anyone else."""
    user = request.user
    if not isinstance(user, User):  # LoginRequiredMiddleware should make this impossible
        raise Http404
    return user


@policy(action=Action.READ, resource=ResourceKind.ACCOUNT, purpose=Purpose.SELF_SERVICE)
@require_GET
def account_home(request: HttpRequest) -> HttpResponse:
    """Show how the account is protected, and offer MFA to participants without it."""
    # Through the policy: the page decrypts the person's e-mail address.
    user = get_for(
        actor=signed_in_user(request),
        queryset=User.objects.all(),
        pk=request.user.pk,
        action=Action.READ,
        purpose=Purpose.SELF_SERVICE,
        request=request,
    )
    memberships = staff_roles(user)
    factor_types = user_second_factor_types(user)
    return render(
        request,
        "accounts/home.html",
        {
            "account_email": user.email,
            "memberships": memberships,
            "has_totp": Authenticator.Type.TOTP in factor_types,
            "has_webauthn": Authenticator.Type.WEBAUTHN in factor_types,
            "has_mfa": bool(factor_types),
            "is_staff_member": bool(memberships),
            "may_invite": administered_organisations(user).exists(),
        },
    )


INVITATION_SESSION_KEY = "wellkept.invitation_token"


def _invitation_no_longer_valid(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/invitation_invalid.html", status=404)


@public
@login_not_required
@never_cache
@require_GET
def invitation_open_view(request: HttpRequest, token: str) -> HttpResponse:
    """Check an invitation link, park its token sealed in the session, drop it from the URL."""
    # Like allauth's reset links: past this redirect the token is in no URL,
    # so no access log, Referer header or browser history holds it.
    invitation = invitation_find_usable(token)
    if invitation is None:
        return _invitation_no_longer_valid(request)
    # Whoever holds the link will see the invited address on the next page.
    audit_record(
        actor=AnonymousUser(),
        event=EventType.RECORD_READ,
        target=f"invitation:{invitation.pk}",
        reason="invitation link opened",
        request=request,
    )
    session_secrets.seal(request.session, INVITATION_SESSION_KEY, token)
    return HttpResponseRedirect(reverse("accounts:invitation_accept"))


@public
@login_not_required
@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest) -> HttpResponse:
    """Let an invitee choose a password, sign them in and send them to MFA enrolment."""
    token = session_secrets.unseal(request.session, INVITATION_SESSION_KEY)
    invitation = invitation_find_usable(token) if token else None
    email = invitation.email if invitation is not None else None
    if token is None or invitation is None or not isinstance(email, str):
        return _invitation_no_longer_valid(request)
    clinician = invitation.role == InviteeRole.CLINICIAN
    form = AcceptInvitationForm(request.POST or None, email=email, mfa_required=not clinician)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(token=token, password=form.cleaned_data["password1"])
        except InvitationInvalid:
            return _invitation_no_longer_valid(request)
        except ValidationError as exc:
            form.add_error("password1", exc)
        else:
            request.session.pop(INVITATION_SESSION_KEY, None)
            login(request, user, backend="wellkept.accounts.backends.EmailBackend")
            # They have just proved the link and set the password: that counts
            # as a fresh password authentication, so adding an authenticator
            # does not ask for the password again a second later.
            record_authentication(request, user, method="password", reauthenticated=True)
            if clinician:
                # A second factor is offered to clinicians, not imposed: the
                # programme page is where they were invited to go.
                return HttpResponseRedirect(reverse("assessments:programme"))
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
    return render(
        request,
        "accounts/invitation_accept.html",
        {"form": form, "invitation": invitation, "invited_email": email, "clinician": clinician},
    )


@public
@login_not_required
def not_offered(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """Answer 404 in place of an allauth page Wellkept does not offer."""
    raise Http404


RESET_KEY_SESSION_KEY = account_views.INTERNAL_RESET_SESSION_KEY


@public
@method_decorator(login_not_required, name="dispatch")
class PasswordResetFromKeyView(account_views.PasswordResetFromKeyView):
    """allauth's page behind a reset link, keeping the link's key sealed in the session."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        # allauth parks the key in the session in clear between the link and
        # the form. It is unsealed only for the length of this request, and
        # sealed again (or dropped) before the session is written.
        session = request.session
        key = session_secrets.unseal(session, RESET_KEY_SESSION_KEY)
        if key is None:
            session.pop(RESET_KEY_SESSION_KEY, None)
        else:
            session[RESET_KEY_SESSION_KEY] = key
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            key = session.get(RESET_KEY_SESSION_KEY)
            if isinstance(key, str) and key:
                session_secrets.seal(session, RESET_KEY_SESSION_KEY, key)
            else:
                session.pop(RESET_KEY_SESSION_KEY, None)

    def form_valid(self, form: Any) -> HttpResponse:
        response: HttpResponse = super().form_valid(form)
        # The key is spent; nothing of it need stay behind.
        self.request.session.pop(RESET_KEY_SESSION_KEY, None)
        return response


password_reset_from_key = PasswordResetFromKeyView.as_view()


# allauth's sensitive MFA and session views, behind our re-authentication
# rule (a second factor within WELLKEPT_REAUTH_SECONDS, or the password for
# an account without one) instead of allauth's, which is switched off with
# MFA_REAUTHENTICATION_REQUIRED so nobody is asked twice. Mounted before
# allauth's URLs, at the same paths and names.


@self_service
@reauth_required
@transaction.atomic
def activate_totp(request: HttpRequest) -> HttpResponse:
    """allauth's authenticator-app enrolment, counting the confirming code as an MFA step."""
    response: HttpResponse = totp_views.activate_totp(request)
    if request.method == "POST" and response.status_code == 302:
        enrolled = Authenticator.objects.filter(
            user_id=request.user.pk, type=Authenticator.Type.TOTP
        ).first()
        if enrolled is not None:
            # The code that confirmed the app is spent, as a sign-in's would be.
            totp.authenticator_spend_step(authenticator=enrolled, step=totp.current_step())
            # The person has just typed a valid code from the new app, so the
            # recovery codes shown next need no second prompt for one.
            record_authentication(
                request, request.user, method="mfa", id=enrolled.pk, type=enrolled.type
            )
    # allauth renders lazily (a TemplateResponse), so the page can still be
    # given the key in groups of four, which is easier to type without slips,
    # and told whether this person is held here until they enrol.
    page = getattr(response, "context_data", None)
    if isinstance(page, dict):
        secret = str(getattr(page.get("form"), "secret", ""))
        page["secret_groups"] = [secret[i : i + 4] for i in range(0, len(secret), 4)]
        user = signed_in_user(request)
        page["enrolment_required"] = bool(staff_roles(user)) and not user_second_factor_types(user)
    return response


def _end_other_sessions_after_removal(request: HttpRequest, kind: str) -> None:
    """Sign the person out everywhere else once a second factor of theirs is gone.

    Whoever removes a factor from a stolen session, or from a device the
    person forgot to sign out of, must not keep the other sessions that the
    factor protected; the person signs in again where they need to. Audited
    as a sign-out of those sessions (how many, never which).
    """
    from allauth.usersessions.internal.flows.sessions import end_other_sessions
    from allauth.usersessions.models import UserSession

    from wellkept.accounts.sessions import stored_key

    user = signed_in_user(request)
    # Sessions are stored under a digest of their cookie key (accounts.sessions).
    current = stored_key(request.session.session_key or "")
    others = UserSession.objects.filter(user_id=user.pk).exclude(session_key=current).count()
    end_other_sessions(request, user)
    audit_record(
        actor=user,
        event=EventType.AUTH_LOGOUT,
        target=f"user:{user.pk}",
        reason=f"{others} other session(s) ended: a second factor ({kind}) was removed",
        request=request,
    )


def _factor_gone(request: HttpRequest, kind: str, before: set[Any]) -> bool:
    now = set(
        Authenticator.objects.filter(user_id=request.user.pk, type=kind).values_list(
            "pk", flat=True
        )
    )
    return bool(before - now)


@transaction.atomic
def _deactivate_totp(request: HttpRequest) -> HttpResponse:
    """allauth's authenticator-app removal, then every other session of the person ends."""
    kind = Authenticator.Type.TOTP
    before = set(
        Authenticator.objects.filter(user_id=request.user.pk, type=kind).values_list(
            "pk", flat=True
        )
    )
    response: HttpResponse = totp_views.deactivate_totp(request)
    if request.method == "POST" and _factor_gone(request, kind, before):
        _end_other_sessions_after_removal(request, kind)
    return response


# allauth changes authenticators in autocommit and then sends the signal
# that records the audit event; one transaction around the view makes the
# change and its event commit or fail together.
deactivate_totp = self_service(reauth_required(_deactivate_totp))
add_webauthn = self_service(reauth_required(transaction.atomic(webauthn_views.add_webauthn)))
generate_recovery_codes = self_service(
    reauth_required(transaction.atomic(recovery_code_views.generate_recovery_codes))
)
view_recovery_codes = self_service(reauth_required(recovery_code_views.view_recovery_codes))
download_recovery_codes = self_service(reauth_required(recovery_code_views.download_recovery_codes))
# The sessions page lists IP addresses and devices: looking at it needs a
# fresh proof of identity too, not only ending sessions.
usersessions_list = self_service(reauth_required(usersession_views.list_usersessions))
password_change = self_service(reauth_required(account_views.password_change))


@self_service
@reauth_required
@transaction.atomic
def remove_webauthn(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a passkey, unless it is the last second factor that must stay."""
    authenticator = Authenticator.objects.filter(
        user_id=request.user.pk, type=Authenticator.Type.WEBAUTHN, pk=pk
    ).first()
    if authenticator is None:
        raise Http404
    refusal = authenticator_removal_refusal(authenticator)
    if refusal:
        # allauth's own removal view does not ask the adapter, so ask here.
        messages.error(request, refusal)
        return redirect("mfa_list_webauthn")
    response: Any = webauthn_views.remove_webauthn(request, pk=pk)
    if request.method == "POST" and not Authenticator.objects.filter(pk=pk).exists():
        _end_other_sessions_after_removal(request, Authenticator.Type.WEBAUTHN)
    return response
