"""Writes of treatment plans: drafts, versions, the therapist's and the client's signatures.

Each service asks the policy first (one audited decision on the client's
clinical record), checks the plan's state under a row lock, and records its
own audit event in the same transaction. Only a therapist working with the
client now writes or signs a plan; a supervisor reads it. A signed plan
never changes: a change is a new version, and signing that version
supersedes the old one, which is kept read-only.

The reminder job tells each therapist that a review is due by the client's
code and the date only, never a name or anything of the plan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import smtplib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can, visible
from wellkept.access.purposes import Purpose
from wellkept.accounts.models import readable_email
from wellkept.actors import Actor, SystemActor, person
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.practice.models import Client, ClientAssignment, PlanStatus, TreatmentPlan
from wellkept.practice.scopes import plan_resource
from wellkept.practice.services.deciding import today as _today

PURPOSE = Purpose.CLINICAL_CARE
TEXT_MAX = 2_000
MAX_ITEMS = 20
# A review is "due" this many days ahead, so the therapist can book it.
REVIEW_AHEAD = dt.timedelta(days=7)
# The outline's keywords, in the order they nest.
KEYWORDS = ("problem", "goal", "objective", "measure", "target", "by", "intervention")
REMINDER_SUBJECT = "A treatment plan review is due"
REMINDER_BODY = """\
Hello,

The treatment plan of client {code} is due for review on {date}.

Open the client's plan in Wellkept to review it.
"""


class MailServerUnavailable(Exception):
    """The mail server could not be reached at all; nothing was sent."""


def _target(plan: TreatmentPlan) -> str:
    return f"client:{plan.client_id}/plan:{plan.pk}"


def _allow(actor: Actor, client: Client, pk: Any, request: HttpRequest | None) -> None:
    # Every write is an update of the client's clinical record, which only
    # the client's therapists hold (a supervisor reads it).
    if not can(actor, Action.UPDATE, plan_resource(client, pk), PURPOSE, request=request):
        raise PermissionDenied("You may not change this client's plan.")


def _works_with(actor: Actor, client: Client) -> None:
    if not ClientAssignment.objects.filter(
        client=client, therapist=person(actor), until__isnull=True
    ).exists():
        raise PermissionDenied("Only a therapist working with this client writes their plan.")


# ---- the plan's content: an outline in, a checked structure out ----------------------


def parse_outline(text: str) -> list[dict[str, Any]]:
    """Read a plan written as keyword lines ("Problem:", "Goal:", ...) into its structure."""
    problems: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        keyword, sep, value = line.partition(":")
        keyword, value = keyword.strip().lower(), value.strip()
        if not sep or keyword not in KEYWORDS:
            raise ValidationError(
                {
                    "content": f"Line {number}: start each line with one of "
                    "Problem:, Goal:, Objective:, Measure:, Target:, By: or Intervention:."
                }
            )
        if keyword == "problem":
            problems.append({"problem": value, "goals": []})
            continue
        if not problems:
            raise ValidationError({"content": f"Line {number}: start with a Problem: line."})
        goals = problems[-1]["goals"]
        if keyword == "goal":
            goals.append({"goal": value, "objectives": []})
            continue
        if not goals:
            raise ValidationError(
                {"content": f"Line {number}: write a Goal: for the problem first."}
            )
        objectives = goals[-1]["objectives"]
        if keyword == "objective":
            objectives.append(
                {"objective": value, "measure": "", "target": "", "by": "", "interventions": []}
            )
            continue
        if not objectives:
            raise ValidationError(
                {"content": f"Line {number}: write an Objective: for the goal first."}
            )
        if keyword == "intervention":
            objectives[-1]["interventions"].append(value)
        else:
            objectives[-1][keyword] = value
    return problems


def render_outline(problems: Sequence[Mapping[str, Any]]) -> str:
    """Write a plan's structure back as the outline it is edited in."""
    lines: list[str] = []
    for problem in problems:
        lines.append(f"Problem: {problem['problem']}")
        for goal in problem["goals"]:
            lines.append(f"  Goal: {goal['goal']}")
            for objective in goal["objectives"]:
                lines.append(f"    Objective: {objective['objective']}")
                for key in ("measure", "target", "by"):
                    if objective[key]:
                        lines.append(f"      {key.capitalize()}: {objective[key]}")
                lines.extend(f"      Intervention: {i}" for i in objective["interventions"])
    return "\n".join(lines)


def _texts(problems: Sequence[Mapping[str, Any]]) -> list[str]:
    found: list[str] = []
    for problem in problems:
        found.append(problem["problem"])
        for goal in problem["goals"]:
            found.append(goal["goal"])
            for objective in goal["objectives"]:
                found.extend(objective[k] for k in ("objective", "measure", "target", "by"))
                found.extend(objective["interventions"])
    return found


def check_content(problems: Sequence[Mapping[str, Any]], *, signing: bool) -> None:
    """Refuse a plan too long to be one, and, at signing, one that is not measurable."""
    texts = _texts(problems)
    if any(len(t) > TEXT_MAX for t in texts):
        raise ValidationError({"content": f"Keep each line under {TEXT_MAX} characters."})
    if len(problems) > MAX_ITEMS or len(texts) > MAX_ITEMS * 20:
        raise ValidationError({"content": "This is too long for one plan; keep it to the point."})
    for problem in problems:
        for goal in problem["goals"]:
            for objective in goal["objectives"]:
                when = objective["by"]
                if when:
                    try:
                        dt.date.fromisoformat(when)
                    except ValueError:
                        raise ValidationError(
                            {"content": f"By: {when[:20]!r} is not a date; write it as YYYY-MM-DD."}
                        ) from None
    if not signing:
        return
    if not problems:
        raise ValidationError({"content": "A plan needs at least one problem before signing."})
    for problem in problems:
        if not problem["problem"] or not problem["goals"]:
            raise ValidationError({"content": "Give every problem a name and at least one goal."})
        for goal in problem["goals"]:
            if not goal["goal"] or not goal["objectives"]:
                raise ValidationError(
                    {"content": "Give every goal a text and at least one objective."}
                )
            for objective in goal["objectives"]:
                missing = [
                    k.capitalize()
                    for k in ("objective", "measure", "target", "by")
                    if not objective[k]
                ]
                if missing or not objective["interventions"]:
                    raise ValidationError(
                        {
                            "content": "Every objective needs a Measure:, a Target:, a By: date "
                            "and at least one Intervention: before signing."
                        }
                    )


def plan_content(plan: TreatmentPlan) -> list[dict[str, Any]]:
    """The plan's structure (for a plan already read through the accessor)."""
    raw = plan.content
    if not isinstance(raw, str):
        return []
    loaded = json.loads(raw)
    return loaded if isinstance(loaded, list) else []


def plan_digest(plan: TreatmentPlan) -> str:
    """The SHA-256 of exactly what this version says, bound to the client, plan and version."""
    canonical = json.dumps(
        {
            "client": str(plan.client_id),
            "plan": str(plan.pk),
            "version": plan.version,
            "review_date": plan.review_date.isoformat(),
            "content": plan_content(plan),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def client_signature(plan: TreatmentPlan) -> dict[str, str]:
    """The client's signature of this version ({} when unsigned or erased)."""
    raw = plan.client_signature
    if not isinstance(raw, str) or not raw:
        return {}
    loaded = json.loads(raw)
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def _check_review_date(review_date: dt.date) -> None:
    if review_date < _today():
        raise ValidationError({"review_date": "The review date cannot be in the past."})


# ---- writes ---------------------------------------------------------------------------


def plan_create(
    *,
    actor: Actor,
    client: Client,
    content: Sequence[Mapping[str, Any]],
    review_date: dt.date,
    request: HttpRequest | None = None,
) -> TreatmentPlan:
    """Start the client's next plan version as a draft; the signed one stays until it is signed."""
    _allow(actor, client, "new", request)
    _works_with(actor, client)
    check_content(content, signing=False)
    _check_review_date(review_date)
    with transaction.atomic():
        # Locks the client's versions, so two drafts cannot take one number.
        existing = list(lock_rows(TreatmentPlan.objects.filter(client=client)))
        if any(p.status == PlanStatus.DRAFT for p in existing):
            raise ValidationError(
                "This client already has a draft plan: finish or change that one.", code="draft"
            )
        number = (
            TreatmentPlan.objects.filter(client=client).aggregate(n=Max("version"))["n"] or 0
        ) + 1
        plan = TreatmentPlan(
            client=client, version=number, author=person(actor), review_date=review_date
        )
        plan.content = json.dumps(list(content))
        plan.save(force_insert=True)
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_PLAN_CREATED,
            target=_target(plan),
            purpose=PURPOSE.value,
            reason=f"version {number}",
            request=request,
        )
    return plan


def _locked(plan: TreatmentPlan) -> TreatmentPlan:
    return lock_rows(TreatmentPlan.objects.select_related("client")).get(pk=plan.pk)


def plan_update(
    *,
    actor: Actor,
    plan: TreatmentPlan,
    content: Sequence[Mapping[str, Any]],
    review_date: dt.date,
    request: HttpRequest | None = None,
) -> TreatmentPlan:
    """Change a draft plan; a signed version is never changed (start a new version)."""
    _allow(actor, plan.client, plan.pk, request)
    _works_with(actor, plan.client)
    check_content(content, signing=False)
    _check_review_date(review_date)
    with transaction.atomic():
        locked = _locked(plan)
        if locked.status != PlanStatus.DRAFT:
            raise ValidationError(
                "A signed plan cannot be changed: start a new version instead.", code="signed"
            )
        locked.content = json.dumps(list(content))
        locked.review_date = review_date
        locked.updated_at = clock.now()
        locked.save(update_fields=["content", "review_date", "updated_at"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_PLAN_UPDATED,
            target=_target(locked),
            purpose=PURPOSE.value,
            request=request,
        )
    return locked


def plan_sign(
    *, actor: Actor, plan: TreatmentPlan, request: HttpRequest | None = None
) -> TreatmentPlan:
    """Sign a draft as the therapist: it becomes the active plan and supersedes the last one."""
    _allow(actor, plan.client, plan.pk, request)
    _works_with(actor, plan.client)
    with transaction.atomic():
        locked = _locked(plan)
        if locked.status != PlanStatus.DRAFT:
            raise ValidationError("This plan version is already signed.", code="signed")
        check_content(plan_content(locked), signing=True)
        now = clock.now()
        previous = (
            lock_rows(TreatmentPlan.objects.filter(client_id=locked.client_id))
            .filter(status=PlanStatus.ACTIVE)
            .first()
        )
        reason = "first version"
        if previous is not None:
            # Superseded before the new one is active: one active version at a time.
            previous.status = PlanStatus.SUPERSEDED
            previous.superseded_at = now
            previous.save(update_fields=["status", "superseded_at"])
            reason = f"supersedes version {previous.version}"
        locked.status = PlanStatus.ACTIVE
        locked.signed_at = now
        locked.save(update_fields=["status", "signed_at"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_PLAN_SIGNED,
            target=_target(locked),
            purpose=PURPOSE.value,
            reason=reason,
            request=request,
        )
    return locked


def _normalised(name: str) -> str:
    return " ".join(name.split()).casefold()


def plan_client_sign(
    *,
    actor: Actor,
    plan: TreatmentPlan,
    typed_name: str,
    request: HttpRequest | None = None,
) -> TreatmentPlan:
    """Record the client's signature of the active version, typed in session, with its digest."""
    _allow(actor, plan.client, plan.pk, request)
    _works_with(actor, plan.client)
    typed = " ".join(typed_name.split())
    names = {
        _normalised(n)
        for n in (plan.client.legal_name, plan.client.preferred_name)
        if isinstance(n, str) and n.strip()
    }
    if not typed or _normalised(typed) not in names:
        raise ValidationError(
            {"typed_name": "The client types their full name as it is in their record."}
        )
    with transaction.atomic():
        locked = _locked(plan)
        if locked.status != PlanStatus.ACTIVE:
            raise ValidationError("Only the active, signed plan is signed by the client.")
        if locked.client_signed_at is not None:
            raise ValidationError("The client has already signed this version.")
        now = clock.now()
        locked.client_signature = json.dumps(
            {"name": typed, "date": _today().isoformat(), "digest": plan_digest(locked)}
        )
        locked.client_signed_at = now
        locked.save(update_fields=["client_signature", "client_signed_at"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_PLAN_CLIENT_SIGNED,
            target=_target(locked),
            purpose=PURPOSE.value,
            reason="in session",
            request=request,
        )
    return locked


def plan_close(
    *, actor: Actor, plan: TreatmentPlan, request: HttpRequest | None = None
) -> TreatmentPlan:
    """Close the active plan (the work is done or has ended); it stays readable."""
    _allow(actor, plan.client, plan.pk, request)
    _works_with(actor, plan.client)
    with transaction.atomic():
        locked = _locked(plan)
        if locked.status != PlanStatus.ACTIVE:
            raise ValidationError("Only the active plan can be closed.")
        locked.status = PlanStatus.CLOSED
        locked.closed_at = clock.now()
        locked.save(update_fields=["status", "closed_at"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_PLAN_CLOSED,
            target=_target(locked),
            purpose=PURPOSE.value,
            request=request,
        )
    return locked


# ---- the review reminders ------------------------------------------------------------


@dataclass
class ReviewSummary:
    sent: int = 0
    no_address: int = 0
    failed: int = 0
    dry_run: bool = False

    def __str__(self) -> str:
        verb = "Would send" if self.dry_run else "Sent"
        line = f"{verb} {self.sent} plan review reminder(s)."
        if self.no_address:
            line += f" {self.no_address} therapist(s) have no address: not reminded."
        if self.failed:
            line += f" {self.failed} could not be sent and will be retried on the next run."
        if self.dry_run:
            line += " Nothing was sent."
        return line


def review_reminder_text(plan: TreatmentPlan, code: str) -> tuple[str, str]:
    """The subject and body of a review reminder: the client's code and the date, nothing else."""
    return REMINDER_SUBJECT, REMINDER_BODY.format(code=code, date=plan.review_date.isoformat())


def plan_reviews_remind(*, actor: SystemActor, dry_run: bool = False) -> ReviewSummary:
    """E-mail each therapist of a client whose plan review is due; once per plan and review date."""
    purpose = Purpose.SERVICE_ADMINISTRATION
    # The job reads clients administratively (their code) and of each plan
    # only its clear state and review date: never its content.
    clients = {
        c.pk: c
        for c in visible(
            actor, Action.READ, Client.objects.filter(treatment_plans__isnull=False), purpose
        ).distinct()
    }
    due = [
        p
        for p in TreatmentPlan.objects.filter(
            client_id__in=clients,
            status=PlanStatus.ACTIVE,
            review_date__lte=_today() + REVIEW_AHEAD,
        ).order_by("review_date")
        if p.review_reminded_for != p.review_date
    ]
    summary = ReviewSummary(dry_run=dry_run)
    work: list[tuple[TreatmentPlan, list[str]]] = []
    for plan in due:
        therapists = ClientAssignment.objects.filter(
            client_id=plan.client_id, until__isnull=True
        ).select_related("therapist")
        addresses = [e for e in (readable_email(a.therapist) for a in therapists) if e]
        if addresses:
            work.append((plan, addresses))
        else:
            summary.no_address += 1
    if dry_run:
        summary.sent = len(work)
        return summary
    connection = get_connection()
    if work:
        try:
            connection.open()
        except (smtplib.SMTPException, OSError) as exc:
            raise MailServerUnavailable(
                f"Cannot reach the mail server ({exc.__class__.__name__}); nothing was sent."
            ) from None
    try:
        for plan, addresses in work:
            try:
                with transaction.atomic():
                    # A conditional update: of two runs at once, one claims it.
                    claimed = (
                        TreatmentPlan.objects.filter(pk=plan.pk, review_date=plan.review_date)
                        .exclude(review_reminded_for=plan.review_date)
                        .update(review_reminded_for=plan.review_date)
                    )
                    if not claimed:
                        continue
                    subject, body = review_reminder_text(plan, clients[plan.client_id].code)
                    EmailMessage(
                        subject=subject,
                        body=body,
                        from_email=settings.DEFAULT_FROM_EMAIL,
                        to=addresses,
                        connection=connection,
                        headers={"Auto-Submitted": "auto-generated"},
                    ).send()
                    audit_record(
                        actor=actor,
                        event=EventType.PRACTICE_PLAN_REVIEW_REMINDED,
                        target=_target(plan),
                        purpose=purpose.value,
                        reason=f"review {plan.review_date.isoformat()}",
                    )
            except (smtplib.SMTPException, OSError):
                summary.failed += 1
            else:
                summary.sent += 1
    finally:
        connection.close()
    return summary
