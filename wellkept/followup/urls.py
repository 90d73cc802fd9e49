"""Follow-up's pages, one list per audience (mounted by ``wellkept/urls.py``).

Every list keeps the namespace "followup": the participant's, the team's and
the privacy officer's pages were one namespace before the audiences, and
``reverse("followup:...")`` still finds each of them.
"""

from django.urls import URLPattern, path

from wellkept.followup.views import api, participant, privacy, team

app_name = "followup"

# /me/follow-up/: the participant's conversation with the follow-up team.
participant_patterns: list[URLPattern] = [
    path("", participant.mine, name="mine"),
    path("ask/", participant.ask, name="ask"),
    path("reply/", participant.reply, name="reply"),
    path("share/", participant.share, name="share"),
    path("conversation/", participant.conversation, name="conversation"),
    path("decline/", participant.decline, name="decline"),
    path("how-it-works/", participant.how_it_works, name="how"),
]

# /team/follow-up/: wellbeing officers' and specialists' queue and cases.
team_patterns: list[URLPattern] = [
    path("", team.queue, name="queue"),
    path("case/<uuid:pk>/", team.case_detail, name="case"),
    path("case/<uuid:pk>/take/", team.case_take, name="case_take"),
    path("case/<uuid:pk>/assign/", team.case_assign, name="case_assign"),
    path("case/<uuid:pk>/message/", team.message_send, name="message"),
    path("case/<uuid:pk>/note/", team.note_add, name="note"),
    path("case/<uuid:pk>/close/", team.case_close, name="case_close"),
    path("case/<uuid:pk>/identity/", team.identity_request, name="identity_request"),
    path("case/<uuid:pk>/break-glass/", team.breakglass, name="breakglass"),
    path("grant/<uuid:pk>/", team.grant_detail, name="grant"),
    path("grant/<uuid:pk>/name/", team.grant_identity, name="grant_identity"),
]

# /privacy/re-identification/: the privacy officer's side of identity grants.
privacy_patterns: list[URLPattern] = [
    path("", privacy.requests, name="privacy_requests"),
    path("grant/<uuid:pk>/", privacy.grant_detail, name="privacy_grant"),
    path("grant/<uuid:pk>/approve/", privacy.approve, name="privacy_approve"),
    path("grant/<uuid:pk>/refuse/", privacy.refuse, name="privacy_refuse"),
    path("grant/<uuid:pk>/review/", privacy.review, name="privacy_review"),
    path(
        "grant/<uuid:pk>/allow-break-glass/",
        privacy.breakglass_allow,
        name="privacy_breakglass_allow",
    ),
    path(
        "grant/<uuid:pk>/end-exception/",
        privacy.exception_end,
        name="privacy_exception_end",
    ),
    path("deadlines/", privacy.deadlines_page, name="privacy_deadlines"),
    path("refused/", privacy.refused, name="privacy_refused"),
]

# /api/v1/: the team's JSON endpoint for identity requests.
api_patterns: list[URLPattern] = [
    path(
        "cases/<uuid:pk>/identity-requests",
        api.identity_request,
        name="api_identity_request",
    ),
]
