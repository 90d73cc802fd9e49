"""The root URLconf: each audience mounted once, then the addresses pages had before.

Audiences (docs/architecture.md): the participant (``/me/``), the team of
leaders, wellbeing officers and specialists (``/team/``), the privacy officer
(``/privacy/``), the administrators (``/manage/``), the confidential
practice's staff (``/practice/``), the API (``/api/v1/``) and a practice's
clients (``/portal/``). Accounts and
allauth stay at ``/accounts/``, the home page at ``/``.
"""

from django.urls import URLPattern, URLResolver, include, path

from wellkept.accounts import urls as accounts
from wellkept.assessments import urls as assessments
from wellkept.consent import urls as consent
from wellkept.disclosures import urls as disclosures
from wellkept.followup import urls as followup
from wellkept.insights import urls as insights
from wellkept.lifecycle import urls as lifecycle
from wellkept.messaging import urls as messaging
from wellkept.portal import urls as portal
from wellkept.practice import urls as practice

Patterns = list[URLPattern | URLResolver]
# Where within the audience, the app's pattern list, its URL namespace.
Mount = tuple[str, list[URLPattern], str]

AUDIENCES: dict[str, list[Mount]] = {
    "me/": [
        ("programme/", assessments.participant_patterns, "assessments"),
        ("consent/", consent.participant_patterns, "consent"),
        ("data/", lifecycle.participant_patterns, "lifecycle"),
        ("follow-up/", followup.participant_patterns, "followup"),
        ("reminders/", assessments.reminder_patterns, "reminders"),
    ],
    "team/": [
        ("insights/", insights.team_patterns, "insights"),
        ("follow-up/", followup.team_patterns, "followup"),
    ],
    "privacy/": [
        ("", consent.privacy_patterns, "privacy"),
        ("", lifecycle.privacy_patterns, "lifecycle"),
        ("re-identification/", followup.privacy_patterns, "followup"),
        ("disclosure/", insights.privacy_patterns, "insights"),
        ("practice-break-glass/", practice.privacy_patterns, "practice"),
        ("consent-documents/", practice.documents_privacy_patterns, "practice"),
        ("disclosures/", disclosures.privacy_patterns, "disclosures"),
    ],
    "manage/": [
        ("programmes/", assessments.manage_patterns, "programmes"),
        ("invitations/", accounts.manage_patterns, "accounts"),
    ],
    "practice/": [
        ("", practice.practice_patterns, "practice"),
        ("clients/", disclosures.practice_patterns, "disclosures"),
        ("", portal.practice_patterns, "portal"),
        ("", messaging.practice_patterns, "messaging"),
    ],
    "api/v1/": [
        ("", insights.api_patterns, insights.api_namespace),
        ("", followup.api_patterns, "followup"),
    ],
    "portal/": [
        ("", portal.client_patterns, "portal"),
        ("", messaging.client_patterns, "messaging_portal"),
    ],
}


# Each person's own account: no audience of its own, beside allauth's pages
# under /accounts/ (mounted below); its URL namespace is shared with the
# administrators' invitations, so it is mounted with the audiences.
OWN_ACCOUNT: dict[str, list[Mount]] = {
    "accounts/": [("", accounts.account_patterns, "accounts")],
}


def mount(audiences: dict[str, list[Mount]]) -> Patterns:
    """Mount every audience's pages, gathered into one resolver per URL namespace.

    Django's reverse() knows one resolver per namespace: the follow-up team's
    pages under /team/ and the participant's under /me/, each included as
    "followup", would hide each other's names. So each namespace is included
    once, at the root, holding its pages under their full audience paths.
    """
    by_namespace: dict[str, Patterns] = {}
    for audience, mounts in audiences.items():
        for where, patterns, namespace in mounts:
            by_namespace.setdefault(namespace, []).append(path(audience + where, include(patterns)))
    return [path("", include((patterns, ns))) for ns, patterns in by_namespace.items()]


urlpatterns: Patterns = [
    path("", include("wellkept.web.urls")),
    *mount({**AUDIENCES, **OWN_ACCOUNT}),
    path("accounts/", include("wellkept.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    # Last: an address that moved answers with a permanent redirect. Named
    # by string, as web.urls is: wellkept.urls and wellkept.web are siblings.
    path("", include("wellkept.web.moved")),
]
