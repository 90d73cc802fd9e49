"""Plain-language descriptions of each role, shown on the home page.

Kept as data next to ``orgs.Role`` so a new role cannot ship without telling
its holders what they may and may never see (a test checks every role).
"""

from __future__ import annotations

from dataclasses import dataclass

from wellkept.orgs.models import Role


@dataclass(frozen=True)
class RoleGuide:
    purpose: str
    sees: str
    never_sees: str
    # For a role whose pages are not built yet: said plainly, so the home
    # page promises nothing that does not exist.
    not_yet: str = ""


GUIDES: dict[Role, RoleGuide] = {
    Role.LEADER: RoleGuide(
        purpose="You will follow wellbeing trends to plan support for your teams.",
        sees="Group trends by department, shift type, role and period, once each group "
        "is large enough that no one can be singled out.",
        never_sees="Any one person's answers, scores or pseudonymous token.",
    ),
    Role.WELLBEING_OFFICER: RoleGuide(
        purpose="You will follow up with clinicians who may need support.",
        sees="Group trends and a follow-up queue keyed by pseudonymous tokens. A name only "
        "through a re-identification request that a second person approves, for a "
        "limited time.",
        never_sees="Psychotherapy notes.",
    ),
    Role.SPECIALIST: RoleGuide(
        purpose="You will care for your clients and the follow-up cases assigned to you.",
        sees="Your own clients' records and notes, and cases assigned to you. Emergency "
        "access needs a reason and alerts the privacy officer at once.",
        never_sees="Other therapists' psychotherapy notes.",
    ),
    Role.FRONT_DESK: RoleGuide(
        purpose="You will run the confidential practice's front desk: taking in new clients, "
        "keeping their contact details and giving each a therapist.",
        sees="Every client of the practice by code and preferred name, and their contact "
        "details, insurance and guardian.",
        never_sees="Any clinical content (notes, questionnaire answers, scores, messages), "
        "and nothing of the clinicians' wellbeing programme.",
    ),
    Role.BILLING: RoleGuide(
        purpose="You will look after the practice's money: clients' insurance and bills.",
        sees="The practice's clients by code, their contact details and insurance.",
        never_sees="Any clinical content (notes, plans, scores, messages), and nothing of the "
        "clinicians' wellbeing programme.",
    ),
    Role.CLINICAL_SUPERVISOR: RoleGuide(
        purpose="You will supervise therapists and co-sign their notes.",
        sees="The records of your supervisees' clients, and their progress notes to co-sign.",
        never_sees="Psychotherapy notes, and clients of therapists you do not supervise.",
    ),
    Role.PRIVACY_OFFICER: RoleGuide(
        purpose="You will oversee how personal data is used and protected.",
        sees="The audit trail, anomaly alerts, approval requests, and retention and "
        "consent settings.",
        never_sees="Clinical content.",
    ),
    Role.SYSTEM_ADMIN: RoleGuide(
        purpose="You will keep Wellkept running.",
        sees="Accounts, roles, organisation units, backups and keys.",
        never_sees="Clinical content or the identities behind pseudonymous tokens.",
    ),
}
