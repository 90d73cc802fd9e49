"""Wellkept's account pages, and allauth views wrapped with our rules.

Included before ``allauth.urls`` under the same prefix: a wrapped view keeps
allauth's path and URL name, so allauth's templates and redirects reach it.
allauth pages Wellkept does not offer are shadowed the same way by a 404.
"""

from django.urls import URLPattern, URLResolver, path, re_path

from wellkept.accounts.views import account as views
from wellkept.accounts.views import manage

# /accounts/: each person's own account page, and the invitee's way in.
account_patterns: list[URLPattern] = [
    path("", views.account_home, name="home"),
    # Before the token route, which would otherwise take "accept" for a token.
    path("invite/accept/", views.invitation_accept_view, name="invitation_accept"),
    path("invite/<str:token>/", views.invitation_open_view, name="invitation_open"),
]

# /manage/invitations/: the system administrator's invitations.
manage_patterns: list[URLPattern] = [
    path("", manage.invitation_list, name="invitation_list"),
    path("new/", manage.invitation_new, name="invitation_new"),
    path(
        "<uuid:invitation_id>/revoke/",
        manage.invitation_revoke_view,
        name="invitation_revoke",
    ),
]

allauth_overrides: list[URLPattern | URLResolver] = [
    path("2fa/totp/activate/", views.activate_totp, name="mfa_activate_totp"),
    path("2fa/totp/deactivate/", views.deactivate_totp, name="mfa_deactivate_totp"),
    path("2fa/recovery-codes/", views.view_recovery_codes, name="mfa_view_recovery_codes"),
    path(
        "2fa/recovery-codes/generate/",
        views.generate_recovery_codes,
        name="mfa_generate_recovery_codes",
    ),
    path(
        "2fa/recovery-codes/download/",
        views.download_recovery_codes,
        name="mfa_download_recovery_codes",
    ),
    path("2fa/webauthn/add/", views.add_webauthn, name="mfa_add_webauthn"),
    path("2fa/webauthn/keys/<int:pk>/remove/", views.remove_webauthn, name="mfa_remove_webauthn"),
    path("sessions/", views.usersessions_list, name="usersessions_list"),
    path("password/change/", views.password_change, name="account_change_password"),
    re_path(
        r"^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        views.password_reset_from_key,
        name="account_reset_password_from_key",
    ),
]

# Accounts come only from invitations and keep one address, stored encrypted
# on the User; these allauth pages would sign people up, or write addresses in
# clear to allauth's EmailAddress table, or send login codes. Same paths and
# names as allauth's, so a stray link in allauth's templates still resolves.
not_offered: list[URLPattern | URLResolver] = [
    path("signup/", views.not_offered, name="account_signup"),
    path("email/", views.not_offered, name="account_email"),
    path("confirm-email/", views.not_offered, name="account_email_verification_sent"),
    re_path(r"^confirm-email/(?P<key>[-:\w]+)/$", views.not_offered, name="account_confirm_email"),
    path("login/code/confirm/", views.not_offered, name="account_confirm_login_code"),
]

# The namespaced pages above are mounted by wellkept/urls.py, with the
# audiences; these keep allauth's paths and names under /accounts/.
urlpatterns: list[URLPattern | URLResolver] = [
    *allauth_overrides,
    *not_offered,
]
