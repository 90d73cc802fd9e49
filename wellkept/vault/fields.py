"""An encrypted model field: the one way personal values reach the database.

Declare it on a model with a UUID primary key and a ``dek_subject`` property::

    class Note(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
        body = EncryptedTextField()

        @property
        def dek_subject(self) -> str:
            return f"client:{self.client_id}"

Reading ``note.body`` decrypts lazily and returns ``str`` (or ``ERASED`` once
the subject's key was shredded); assigning a ``str`` encrypts at save time,
bound to this model, row, field and subject. Querying by the field's content
is refused: use a blind index (``vault.services.blind_index``) for lookups.
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import models
from django.db.models import Model

from wellkept.vault import crypto
from wellkept.vault.services import ERASED, Binding, Erased, decrypt_text, encrypt_text


class Sealed:
    """A ciphertext as loaded from the database, decrypted on first read."""

    __slots__ = ("ciphertext", "plaintext")

    def __init__(self, ciphertext: str) -> None:
        self.ciphertext = ciphertext
        self.plaintext: str | Erased | None = None

    def __repr__(self) -> str:
        return "<Sealed>"


class _EncryptedDescriptor:
    def __init__(self, field: EncryptedTextField) -> None:
        self.field = field

    def __get__(self, instance: Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__.get(self.field.attname)
        if isinstance(value, Sealed):
            if value.plaintext is None:
                value.plaintext = decrypt_text(
                    value.ciphertext, binding=self.field.binding_for(instance)
                )
            return value.plaintext
        return value

    def __set__(self, instance: Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """Text stored only as AES-256-GCM ciphertext under its subject's data key."""

    def __init__(self, *args: Any, subject_attr: str = "dek_subject", **kwargs: Any) -> None:
        self.subject_attr = subject_attr
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.subject_attr != "dek_subject":
            kwargs["subject_attr"] = self.subject_attr
        return name, path, args, kwargs

    def contribute_to_class(self, cls: type[Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        setattr(cls, self.attname, _EncryptedDescriptor(self))

    def binding_for(self, instance: Model) -> Binding:
        if instance.pk is None:
            raise ValueError(
                f"{instance._meta.label} needs its primary key before an encrypted value "
                "can be bound to the row."
            )
        return Binding(
            label=instance._meta.label_lower,
            row=str(instance.pk),
            field=self.name,
            subject=str(getattr(instance, self.subject_attr)),
        )

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        model = self.model
        pk = model._meta.pk
        if not isinstance(pk, models.UUIDField) or not pk.has_default():
            errors.append(
                checks.Error(
                    "A model with encrypted fields needs a UUID primary key with a default.",
                    hint="Add id = models.UUIDField(primary_key=True, default=uuid.uuid4).",
                    obj=self,
                    id="vault.E001",
                )
            )
        if not hasattr(model, self.subject_attr):
            errors.append(
                checks.Error(
                    f"{model.__name__} has no '{self.subject_attr}' attribute naming the "
                    "subject whose key encrypts this field.",
                    obj=self,
                    id="vault.E002",
                )
            )
        return errors

    def pre_save(self, model_instance: Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None or isinstance(value, Sealed):
            return value
        if isinstance(value, Erased):
            raise ValueError(
                f"{model_instance._meta.label}.{self.name} belongs to an erased subject and "
                "cannot be saved again."
            )
        return encrypt_text(str(value), binding=self.binding_for(model_instance))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return Sealed(value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Sealed):
            return value.ciphertext
        if isinstance(value, str) and crypto.looks_sealed(value):
            return value
        # Reached by QuerySet.update() or filter() with a plain value: storing
        # or comparing clear text would defeat the field, so refuse loudly.
        raise ValueError(
            f"{self.model.__name__}.{self.name} is encrypted: assign the value on an "
            "instance and save() it; to look rows up, use a blind index."
        )

    def to_python(self, value: Any) -> Any:
        if isinstance(value, Sealed | Erased):
            return value
        return super().to_python(value)

    def value_to_string(self, obj: Model) -> str:
        value = obj.__dict__.get(self.attname)
        if isinstance(value, Sealed):
            return value.ciphertext
        return ""

    def get_lookup(self, lookup_name: str) -> Any:
        # Only "is it empty?" makes sense on ciphertext.
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)


__all__ = ["ERASED", "EncryptedTextField", "Sealed"]
