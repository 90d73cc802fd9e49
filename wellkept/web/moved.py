"""The addresses pages had before they were grouped by audience, and where each one went.

Links in sent e-mails (reminders' unsubscribe links, invitations to the
programme), in issued consent receipts and in people's bookmarks keep
working: each old address answers with a permanent redirect to its page's
new one, path parameters and query string kept. An address that never
existed stays a 404: only the routes listed here redirect, with the
converters the pages had.

The target is built from this table alone, by ``reverse()`` of the page's
URL name with the parameters the old route's converters accepted; the query
string is re-encoded after the ``?``. Nothing the visitor sends can choose
the scheme, host or path of the target, so this is no open redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.http.response import HttpResponseRedirectBase
from django.urls import URLPattern, path, reverse
from django.views.decorators.csrf import csrf_exempt

from wellkept.access.decorators import public

# Old route (as it was mounted, converters included) -> the page's URL name.
MOVED: list[tuple[str, str]] = [
    # /accounts/invitations/ -> /manage/invitations/
    ("accounts/invitations/", "accounts:invitation_list"),
    ("accounts/invitations/new/", "accounts:invitation_new"),
    ("accounts/invitations/<uuid:invitation_id>/revoke/", "accounts:invitation_revoke"),
    # /programme/ -> /me/programme/
    ("programme/", "assessments:programme"),
    ("programme/join/", "assessments:join"),
    ("programme/history/", "assessments:history"),
    ("programme/check-in/<slug:slug>/start/", "assessments:start"),
    ("programme/check-in/<uuid:pk>/step/<int:step>/", "assessments:step"),
    ("programme/check-in/<uuid:pk>/discard/", "assessments:discard"),
    ("programme/check-in/<uuid:pk>/result/", "assessments:result"),
    # /programme/consent/ -> /me/consent/
    ("programme/consent/", "consent:manage"),
    ("programme/consent/update/", "consent:update"),
    ("programme/consent/withdraw/", "consent:withdraw"),
    ("programme/consent/withdrawn/", "consent:withdrawn"),
    ("programme/consent/receipt/<uuid:pk>.json", "consent:receipt"),
    ("programme/consent/notice/<int:version>/", "consent:notice_version"),
    # /my-data/ -> /me/data/, and its privacy pages -> /privacy/
    ("my-data/", "lifecycle:mydata"),
    ("my-data/download/my-data.json", "lifecycle:export_json"),
    ("my-data/download/my-data.fhir.json", "lifecycle:export_fhir"),
    ("my-data/reminders/", "lifecycle:reminders"),
    ("my-data/erase/", "lifecycle:erase"),
    ("my-data/receipt-key/", "lifecycle:receipt_key"),
    ("my-data/privacy/retention/", "lifecycle:retention"),
    ("my-data/privacy/retention/set/", "lifecycle:retention_update"),
    ("my-data/privacy/holds/", "lifecycle:hold_set"),
    ("my-data/privacy/holds/<uuid:pk>/lift/", "lifecycle:hold_lift"),
    ("my-data/privacy/receipts/<uuid:pk>.json", "lifecycle:receipt_download"),
    ("my-data/privacy/requests/", "lifecycle:subject_request"),
    ("my-data/privacy/requests/new/", "lifecycle:subject_request_new"),
    ("my-data/privacy/requests/<str:pk>/", "lifecycle:subject_request_detail"),
    ("my-data/privacy/requests/<str:pk>/approve/", "lifecycle:subject_request_approve"),
    ("my-data/privacy/requests/<str:pk>/refuse/", "lifecycle:subject_request_refuse"),
    ("my-data/privacy/requests/<str:pk>/export.json", "lifecycle:subject_export_json"),
    ("my-data/privacy/requests/<str:pk>/export.fhir.json", "lifecycle:subject_export_fhir"),
    ("my-data/privacy/requests/<str:pk>/erase/", "lifecycle:subject_erase"),
    # /reminders/ -> /me/reminders/
    ("reminders/unsubscribe/<str:signed>/", "reminders:unsubscribe"),
    # /insights/ -> /team/insights/, its settings -> /privacy/disclosure/
    ("insights/", "insights:dashboard"),
    ("insights/export.csv", "insights:export_csv"),
    ("insights/export.pdf", "insights:export_pdf"),
    ("insights/settings/", "insights:settings"),
    # /follow-up/ -> /me/follow-up/, /team/follow-up/, /privacy/re-identification/, /api/v1/
    ("follow-up/", "followup:mine"),
    ("follow-up/ask/", "followup:ask"),
    ("follow-up/reply/", "followup:reply"),
    ("follow-up/share/", "followup:share"),
    ("follow-up/conversation/", "followup:conversation"),
    ("follow-up/decline/", "followup:decline"),
    ("follow-up/how-it-works/", "followup:how"),
    ("follow-up/team/", "followup:queue"),
    ("follow-up/team/case/<uuid:pk>/", "followup:case"),
    ("follow-up/team/case/<uuid:pk>/take/", "followup:case_take"),
    ("follow-up/team/case/<uuid:pk>/assign/", "followup:case_assign"),
    ("follow-up/team/case/<uuid:pk>/message/", "followup:message"),
    ("follow-up/team/case/<uuid:pk>/note/", "followup:note"),
    ("follow-up/team/case/<uuid:pk>/close/", "followup:case_close"),
    ("follow-up/team/case/<uuid:pk>/identity/", "followup:identity_request"),
    ("follow-up/team/case/<uuid:pk>/break-glass/", "followup:breakglass"),
    ("follow-up/team/grant/<uuid:pk>/", "followup:grant"),
    ("follow-up/team/grant/<uuid:pk>/name/", "followup:grant_identity"),
    ("follow-up/api/v1/cases/<uuid:pk>/identity-requests", "followup:api_identity_request"),
    ("follow-up/privacy/", "followup:privacy_requests"),
    ("follow-up/privacy/grant/<uuid:pk>/", "followup:privacy_grant"),
    ("follow-up/privacy/grant/<uuid:pk>/approve/", "followup:privacy_approve"),
    ("follow-up/privacy/grant/<uuid:pk>/refuse/", "followup:privacy_refuse"),
    ("follow-up/privacy/grant/<uuid:pk>/review/", "followup:privacy_review"),
    ("follow-up/privacy/grant/<uuid:pk>/allow-break-glass/", "followup:privacy_breakglass_allow"),
    ("follow-up/privacy/grant/<uuid:pk>/end-exception/", "followup:privacy_exception_end"),
    ("follow-up/privacy/deadlines/", "followup:privacy_deadlines"),
    ("follow-up/privacy/refused/", "followup:privacy_refused"),
]


class HttpResponsePermanentRedirectKeepMethod(HttpResponseRedirectBase):
    """308: the client repeats a POST, with its body, at the new address."""

    status_code = 308


# Public and without a CSRF check of its own: it reads nothing and changes
# nothing, and the page it points to makes its own checks. A POST from an
# old unsubscribe link (sent without a token by mail providers) must reach
# the 308 rather than a 403.
@public
@login_not_required
@csrf_exempt
def moved(request: HttpRequest, *, to: str, **params: Any) -> HttpResponse:
    """Answer with a permanent redirect to the page's new address."""
    target = reverse(to, kwargs=params)
    query = request.GET.urlencode()
    if query:
        target = f"{target}?{query}"
    if request.method in ("GET", "HEAD"):
        return HttpResponsePermanentRedirect(target)
    return HttpResponsePermanentRedirectKeepMethod(target)


urlpatterns: list[URLPattern] = [path(old, moved, {"to": name}) for old, name in MOVED]
