"""The navigation: the header's links, and one menu per audience's pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from wellkept.orgs.models import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool


HOME = NavItem("Home", "web:home")
# The same for everyone offered the programme, staff or not: showing them
# only to people who take part would tell anyone looking at the screen who
# does. Roles it is not offered to (the front desk) do not see them.
PROGRAMME = (
    NavItem("Check-ins", "assessments:programme"),
    NavItem("My data", "lifecycle:mydata"),
)
# Every role manages its own sign-in; MFA is mandatory for staff and offered
# to participants, so the security page is in everyone's header.
ACCOUNT = (
    NavItem("Your account", "accounts:home"),
    NavItem("Sign-in security", "mfa_index"),
    NavItem("Devices", "usersessions_list"),
    NavItem("Password", "account_change_password"),
)
# Role pages join here as their apps land, e.g. Role.LEADER: (NavItem(...),).
# A role missing from the table sees the common links only.
BY_ROLE: dict[Role, tuple[NavItem, ...]] = {
    Role.LEADER: (NavItem("Insights", "insights:dashboard"),),
    Role.WELLBEING_OFFICER: (
        NavItem("Insights", "insights:dashboard"),
        NavItem("Follow-up", "followup:queue"),
    ),
    Role.SPECIALIST: (
        NavItem("Follow-up", "followup:queue"),
        NavItem("Clients", "practice:client_list"),
        NavItem("Schedule", "practice:schedule"),
        NavItem("Messages", "messaging:inbox"),
    ),
    Role.FRONT_DESK: (
        NavItem("Clients", "practice:client_list"),
        NavItem("Schedule", "practice:schedule"),
        NavItem("Messages", "messaging:inbox"),
        NavItem("Billing", "practice:billing"),
    ),
    Role.BILLING: (
        NavItem("Clients", "practice:client_list"),
        NavItem("Schedule", "practice:schedule"),
        NavItem("Messages", "messaging:inbox"),
        NavItem("Billing", "practice:billing"),
    ),
    Role.CLINICAL_SUPERVISOR: (
        NavItem("Clients", "practice:client_list"),
        NavItem("Schedule", "practice:schedule"),
        NavItem("Messages", "messaging:inbox"),
        # Supervisees' signed notes wait here for the co-signature that locks them.
        NavItem("Notes to co-sign", "practice:cosign_queue"),
    ),
    # One entry: the privacy pages of every app share the menu below.
    Role.PRIVACY_OFFICER: (NavItem("Privacy", "privacy:processing"),),
    Role.SYSTEM_ADMIN: (
        NavItem("Invitations", "accounts:invitation_list"),
        NavItem("Programmes", "programmes:list"),
    ),
}

# The privacy officer's pages under /privacy/, whichever app serves them
# (consent, follow-up, insights, lifecycle, practice): one menu, web/nav/privacy.html.
PRIVACY: tuple[NavItem, ...] = (
    NavItem("Record of processing", "privacy:processing"),
    NavItem("Consent register", "privacy:consents"),
    NavItem("Notices", "privacy:notices"),
    NavItem("Re-identification", "followup:privacy_requests"),
    NavItem("Refused purposes", "followup:privacy_refused"),
    NavItem("Follow-up deadlines", "followup:privacy_deadlines"),
    NavItem("Practice break-glass", "practice:breakglass_reviews"),
    NavItem("Consent documents", "practice:document_templates"),
    NavItem("Disclosure control", "insights:settings"),
    NavItem("Retention and holds", "lifecycle:retention"),
    NavItem("Data-subject requests", "lifecycle:subject_request"),
    NavItem("Receipt-signing key", "lifecycle:receipt_key"),
    NavItem("Disclosures", "disclosures:practice_accounting"),
)


def _resolved(request: HttpRequest, items: list[NavItem]) -> list[NavLink]:
    links = []
    for item in items:
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            # An optional allauth feature (passkeys, user sessions) may be
            # switched off in settings; a missing page must not break every
            # page's header.
            continue
        links.append(NavLink(item.label, url, current=request.path == url))
    return links


def privacy_links(request: HttpRequest) -> list[NavLink]:
    """Return the privacy officer's menu, in display order."""
    return _resolved(request, list(PRIVACY))


# A client's portal login (issue 19): their own pages and their account, nothing else.
PORTAL = (
    NavItem("My portal", "portal:home"),
    NavItem("Appointments", "portal:appointments"),
    NavItem("Invoices", "portal:invoices"),
    NavItem("Messages", "messaging_portal:inbox"),
    NavItem("Forms to sign", "portal:forms"),
    NavItem("Who accessed my record", "portal:access_log"),
    NavItem("My record", "portal:record"),
    NavItem("Disclosures", "portal:disclosures"),
)


def portal_links(request: HttpRequest) -> list[NavLink]:
    """Return the header links of a client's portal login."""
    return _resolved(request, [*PORTAL, *ACCOUNT])


def guardian_links(request: HttpRequest) -> list[NavLink]:
    """Return the header links of a minor's guardian's login: their home lists what is shared."""
    return _resolved(request, [NavItem("Guardian's portal", "portal:guardian_home"), *ACCOUNT])


def links_for(request: HttpRequest, roles: set[Role], *, programme: bool = True) -> list[NavLink]:
    """Return the header links for a person holding ``roles``, in display order."""
    items: list[NavItem] = [HOME, *(PROGRAMME if programme else ())]
    for role in Role:  # Role order, so the header is stable between requests
        if role in roles:
            items.extend(i for i in BY_ROLE.get(role, ()) if i not in items)
    items.extend(ACCOUNT)
    return _resolved(request, items)
