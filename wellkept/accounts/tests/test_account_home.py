"""The account page shows the own e-mail address, so the read is decided and audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wellkept.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_it_shows_the_own_address_and_records_the_read(client, nina):
    client.force_login(nina)
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 200
    assert "nina.nurse@stannes.example" in response.content.decode()
    entry = AuditEntry.objects.latest("id")
    assert (entry.event, entry.outcome, entry.actor_id, entry.target) == (
        "record.read",
        "allowed",
        str(nina.pk),
        f"user:{nina.pk}",
    )
