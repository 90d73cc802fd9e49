from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models

from wellkept import clock
from wellkept.accounts.passwords import meets_single_factor_length
from wellkept.orgs.models import InviteeRole
from wellkept.vault.fields import EncryptedTextField
from wellkept.vault.services import blind_index


def normalise_email(email: str) -> str:
    """Lower-case and trim an address so that lookups ignore case."""
    return email.strip().lower()


def readable_email(user: Any) -> str:
    """The user's address, or "" when there is none to read (unsaved, erased)."""
    email = getattr(user, "email", "")
    return email if isinstance(email, str) else ""


def email_index_for(email: str) -> str:
    return blind_index("user.email", normalise_email(email))


class UserManager(BaseUserManager["User"]):
    def get_by_email(self, email: str) -> User | None:
        return self.filter(email_index=email_index_for(email)).first()

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=normalise_email(email), email_index=email_index_for(email), **extra)
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save()
        return user


class User(AbstractBaseUser):
    """A login. The e-mail address is stored encrypted; lookups use a blind index.

    A User is never linked to a participant's pseudonymous token by a column:
    see orgs.Participant for how that link is computed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email_index = models.CharField(max_length=64, unique=True, editable=False)
    email = EncryptedTextField()
    display_name = EncryptedTextField(blank=True, default="")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=clock.now)
    # Whether the current password is long enough to be the only factor. The
    # password itself is only stored hashed, so this is recorded when it is
    # set; it decides whether a participant may turn off their last second factor.
    password_meets_single_factor = models.BooleanField(default=False, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email_index"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = "user"

    def __str__(self) -> str:
        return f"user {self.pk}"

    @property
    def dek_subject(self) -> str:
        return f"user:{self.pk}"

    def set_password(self, raw_password: str | None) -> None:
        # Every path that changes a password (allauth's change and reset
        # forms, invitations, hash upgrades) comes through here.
        super().set_password(raw_password)
        self.password_meets_single_factor = raw_password is not None and (
            meets_single_factor_length(raw_password)
        )

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self.password_meets_single_factor = False


class Invitation(models.Model):
    """A single-use, expiring link through which an administrator adds a clinician or staff member.

    The address is stored encrypted with a blind index; the link's secret is
    stored only as a keyed MAC behind a short public prefix, so a database
    dump cannot be turned into working links.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "orgs.Organisation", on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=32, choices=InviteeRole.choices)
    email_index = models.CharField(max_length=64, db_index=True, editable=False)
    email = EncryptedTextField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations_sent",
    )
    token_prefix = models.CharField(max_length=16, unique=True, editable=False)
    token_mac = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="invitation_role_valid", condition=models.Q(role__in=InviteeRole.values)
            ),
            models.CheckConstraint(
                name="invitation_expires_after_creation",
                condition=models.Q(expires_at__gt=models.F("created_at")),
            ),
            models.CheckConstraint(
                name="invitation_not_both_accepted_and_revoked",
                condition=models.Q(accepted_at__isnull=True) | models.Q(revoked_at__isnull=True),
            ),
            # One open (unused, unrevoked) invitation per address and
            # organisation: inviting again replaces the earlier one.
            models.UniqueConstraint(
                fields=["organisation", "email_index"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_address",
            ),
        ]

    def __str__(self) -> str:
        return f"invitation {self.token_prefix}"

    @property
    def dek_subject(self) -> str:
        return f"invitation:{self.pk}"

    def status(self) -> str:
        """Return pending, accepted, revoked or expired, for display."""
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= clock.now():
            return "expired"
        return "pending"
