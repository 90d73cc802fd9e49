"""Wellkept's account pages, and allauth views wrapped with our rules.

Included before ``allauth.urls`` under the same prefix: a wrapped view keeps
allauth's path and URL name, so allauth's templates and redirects reach it.
"""

from django.urls import URLPattern, URLResolver, include, path

from wellkept.accounts import views

own_patterns: list[URLPattern | URLResolver] = [
    path("", views.account_home, name="home"),
    path("invitations/", views.invitation_list, name="invitation_list"),
    path("invitations/new/", views.invitation_new, name="invitation_new"),
    path(
        "invitations/<uuid:invitation_id>/revoke/",
        views.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("invite/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
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
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include((own_patterns, "accounts"))),
    *allauth_overrides,
]
