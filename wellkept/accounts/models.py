from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models

from wellkept import clock
from wellkept.vault.fields import EncryptedTextField
from wellkept.vault.services import blind_index


def normalise_email(email: str) -> str:
    """Lower-case and trim an address so that lookups ignore case."""
    return email.strip().lower()


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
