"""The audit trail: two append-only, hash-chained tables.

``AuditEntry`` holds what identified actors (staff, commands, jobs, callers
not yet identified) did, in order, with the time to the microsecond.
``PseudonymousEntry`` holds what a participant did under their token, with
the day only and its order sealed, so the trail cannot tell which sign-in a
token's entries followed (docs/security.md, "No timing link").
"""

from __future__ import annotations

from django.db import models

from wellkept.audit.events import EventType, Outcome


class AuditEntry(models.Model):
    """One audited event; refers to people and records, never holds their content.

    Rows are only ever inserted (database triggers refuse UPDATE, DELETE and
    TRUNCATE). ``mac`` chains each row to the one before it: see
    wellkept.audit.chain and docs/security.md.
    """

    # Assigned by wellkept.audit.services under the chain lock (head id + 1),
    # never by the database: the MAC covers the id, so it must be known
    # before the row is written, and a row is never updated afterwards.
    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField()
    event = models.CharField(max_length=64, choices=EventType.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    # The user's uuid, or "" for a system actor or an anonymous caller.
    actor_id = models.CharField(max_length=64, blank=True)
    # "user", "anonymous" or "system:<command or job name>".
    actor_label = models.CharField(max_length=128)
    role = models.CharField(max_length=32, blank=True)
    purpose = models.CharField(max_length=64, blank=True)
    # A reference such as "participant:<token>" or "user:<uuid>"; never content.
    target = models.CharField(max_length=200, blank=True)
    # A short code or sentence saying why (denials, counts); never content.
    reason = models.CharField(max_length=300, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_mac = models.CharField(max_length=64, blank=True)
    mac = models.CharField(max_length=64)

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["created_at"], name="audit_created_at_idx")]
        constraints = [
            models.CheckConstraint(
                name="audit_outcome_valid", condition=models.Q(outcome__in=Outcome.values)
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event} {self.outcome}"


class PseudonymousEntry(models.Model):
    """One event a participant caused under their token: day-level, order sealed.

    No time of day, address, user agent or request id is stored: each would
    let a reader join the entry to the sign-in before it. The id is random,
    so the table's key order is not the order of events either; the chain
    position and the previous entry's MAC are sealed in ``link``. Rows are
    only ever inserted (the same triggers as AuditEntry).
    """

    # Random (wellkept.audit.services), never sequential: see the docstring.
    id = models.BigIntegerField(primary_key=True)
    day = models.DateField()
    event = models.CharField(max_length=64, choices=EventType.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    # "participant:<token>".
    actor_label = models.CharField(max_length=128)
    role = models.CharField(max_length=32, blank=True)
    purpose = models.CharField(max_length=64, blank=True)
    target = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    # AES-256-GCM of (position, previous MAC) bound to the id; see chain.py.
    link = models.CharField(max_length=128)
    mac = models.CharField(max_length=64)

    class Meta:
        verbose_name = "pseudonymous audit entry"
        verbose_name_plural = "pseudonymous audit entries"
        indexes = [
            models.Index(fields=["day"], name="audit_pseudo_day_idx"),
            models.Index(fields=["target"], name="audit_pseudo_target_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="audit_pseudo_outcome_valid", condition=models.Q(outcome__in=Outcome.values)
            ),
            models.CheckConstraint(name="audit_pseudo_id_positive", condition=models.Q(id__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.event} {self.outcome}"


class PseudonymousHead(models.Model):
    """Where the pseudonymous chain ends, sealed: one row, replaced on every append.

    Sealed with a fresh nonce each time, so successive copies of the table
    (backups, dumps) do not show whether the chain moved between them.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sealed = models.CharField(max_length=128)

    class Meta:
        verbose_name = "pseudonymous chain head"
        constraints = [
            models.CheckConstraint(name="audit_pseudo_head_single", condition=models.Q(id=1)),
        ]

    def __str__(self) -> str:
        return "pseudonymous chain head"
