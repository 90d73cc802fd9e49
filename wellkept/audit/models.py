"""The audit trail: one append-only, hash-chained table."""

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
