from __future__ import annotations

from django.db import models


class DataKey(models.Model):
    """A data-encryption key (DEK) for one subject, stored wrapped by a KEK.

    The subject is an opaque reference such as ``user:<uuid>`` or
    ``participant:<token>``; it never holds a name. Shredding clears
    ``wrapped`` and stamps ``shredded_at``: the row stays so that values
    encrypted under it read as "erased" rather than as corruption.
    """

    subject = models.CharField(max_length=120, unique=True)
    kek_id = models.CharField(max_length=64, blank=True)
    wrapped = models.BinaryField(null=True, editable=False)
    created_at = models.DateTimeField()
    rewrapped_at = models.DateTimeField(null=True, blank=True)
    shredded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="datakey_wrapped_xor_shredded",
                condition=(
                    models.Q(shredded_at__isnull=True, wrapped__isnull=False)
                    | models.Q(shredded_at__isnull=False, wrapped__isnull=True)
                ),
            ),
        ]
        indexes = [models.Index(fields=["kek_id"], name="datakey_kek_idx")]

    def __str__(self) -> str:
        return f"DataKey {self.pk} ({self.subject})"

    @property
    def is_shredded(self) -> bool:
        return self.shredded_at is not None
