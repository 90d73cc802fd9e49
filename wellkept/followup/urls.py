"""Follow-up pages, mounted at /follow-up/: the participant's, the team's, the privacy role's."""

from django.urls import URLPattern, path

from wellkept.followup import api_views, mine_views, privacy_views, views

app_name = "followup"

urlpatterns: list[URLPattern] = [
    # The participant.
    path("", mine_views.mine, name="mine"),
    path("ask/", mine_views.ask, name="ask"),
    path("reply/", mine_views.reply, name="reply"),
    path("share/", mine_views.share, name="share"),
    path("conversation/", mine_views.conversation, name="conversation"),
    path("decline/", mine_views.decline, name="decline"),
    path("how-it-works/", mine_views.how_it_works, name="how"),
    # The follow-up team.
    path("team/", views.queue, name="queue"),
    path("team/case/<uuid:pk>/", views.case_detail, name="case"),
    path("team/case/<uuid:pk>/take/", views.case_take, name="case_take"),
    path("team/case/<uuid:pk>/assign/", views.case_assign, name="case_assign"),
    path("team/case/<uuid:pk>/message/", views.message_send, name="message"),
    path("team/case/<uuid:pk>/note/", views.note_add, name="note"),
    path("team/case/<uuid:pk>/close/", views.case_close, name="case_close"),
    path("team/case/<uuid:pk>/identity/", views.identity_request, name="identity_request"),
    path("team/case/<uuid:pk>/break-glass/", views.breakglass, name="breakglass"),
    path("team/grant/<uuid:pk>/", views.grant_detail, name="grant"),
    path("team/grant/<uuid:pk>/name/", views.grant_identity, name="grant_identity"),
    path(
        "api/v1/cases/<uuid:pk>/identity-requests",
        api_views.identity_request,
        name="api_identity_request",
    ),
    # The privacy role.
    path("privacy/", privacy_views.requests, name="privacy_requests"),
    path("privacy/grant/<uuid:pk>/", privacy_views.grant_detail, name="privacy_grant"),
    path("privacy/grant/<uuid:pk>/approve/", privacy_views.approve, name="privacy_approve"),
    path("privacy/grant/<uuid:pk>/refuse/", privacy_views.refuse, name="privacy_refuse"),
    path("privacy/grant/<uuid:pk>/review/", privacy_views.review, name="privacy_review"),
    path(
        "privacy/grant/<uuid:pk>/allow-break-glass/",
        privacy_views.breakglass_allow,
        name="privacy_breakglass_allow",
    ),
    path(
        "privacy/grant/<uuid:pk>/end-exception/",
        privacy_views.exception_end,
        name="privacy_exception_end",
    ),
    path("privacy/deadlines/", privacy_views.deadlines_page, name="privacy_deadlines"),
    path("privacy/refused/", privacy_views.refused, name="privacy_refused"),
]
