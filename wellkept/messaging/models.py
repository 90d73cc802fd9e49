"""Secure messages: threads about one client, their messages, attachments and read state.

Every subject, body, attachment name and attachment content is ciphertext
under the client's own data key (``client:<uuid>``), whoever wrote it, so
erasing the client (shredding that key) makes every copy unreadable. What
stays in clear is what the inbox needs to sort and count: the thread's
kind, when messages were sent, who wrote them, an attachment's sniffed type
and size.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from wellkept import clock
from wellkept.practice.models import Client
from wellkept.vault.fields import EncryptedTextField


class ThreadKind(models.TextChoices):
    CARE = "care", "Care (with the therapists)"
    SCHEDULING = "scheduling", "Scheduling"
    BILLING = "billing", "Billing"
    # Staff only, about the client: never shown in the portal.
    CONSULTATION = "consultation", "Consultation between staff"


# Kinds the client takes part in from the portal.
CLIENT_KINDS = frozenset({ThreadKind.CARE, ThreadKind.SCHEDULING, ThreadKind.BILLING})
# Kinds that carry clinical content: the therapists' and supervisors' only.
CLINICAL_KINDS = frozenset({ThreadKind.CARE, ThreadKind.CONSULTATION})


class Thread(models.Model):
    """One conversation about one client; its subject is ciphertext."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="message_threads")
    kind = models.CharField(max_length=16, choices=ThreadKind.choices)
    subject = EncryptedTextField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    last_message_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-last_message_at"]
        indexes = [
            models.Index(fields=["client", "-last_message_at"], name="message_thread_recent")
        ]
        constraints = [
            models.CheckConstraint(
                name="message_thread_kind_known",
                condition=models.Q(kind__in=[k.value for k in ThreadKind]),
            ),
        ]

    def __str__(self) -> str:
        return f"message thread {self.pk}"

    @property
    def dek_subject(self) -> str:
        return f"client:{self.client_id}"


class Message(models.Model):
    """One message of a thread; its body is ciphertext under the client's key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    # Denormalised from the thread: the data key's subject, without a join.
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    # None for an automatic reply, or a login since erased.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_client = models.BooleanField(default=False)
    automatic = models.BooleanField(default=False)
    body = EncryptedTextField()
    sent_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["sent_at"]
        indexes = [models.Index(fields=["thread", "sent_at"], name="message_in_thread")]
        constraints = [
            models.CheckConstraint(
                name="message_automatic_not_from_client",
                condition=~models.Q(automatic=True, from_client=True),
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.pk}"

    @property
    def dek_subject(self) -> str:
        return f"client:{self.client_id}"


class Attachment(models.Model):
    """A file sent with a message: its name and content (base64) are ciphertext."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    name = EncryptedTextField()
    # Sniffed from the content, never taken from the name or the browser.
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    content = EncryptedTextField()

    class Meta:
        ordering = ["message", "id"]
        constraints = [
            models.CheckConstraint(
                name="message_attachment_not_empty", condition=models.Q(size__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return f"attachment {self.pk}"

    @property
    def dek_subject(self) -> str:
        return f"client:{self.client_id}"


class ReadMark(models.Model):
    """Up to when one login has read one thread."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_marks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="message_read_mark_once"),
        ]

    def __str__(self) -> str:
        return f"read mark {self.pk}"
