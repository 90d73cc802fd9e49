"""``wellkept invite``: the same service from the shell, with clear errors."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from wellkept.accounts.models import Invitation

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str) -> str:
    out = StringIO()
    call_command("invite", *args, stdout=out)
    return out.getvalue()


def test_it_invites_and_prints_the_link(st_annes):
    output = run("first.admin@stannes.example", "--org", "st-annes", "--role", "system_admin")
    assert "/accounts/invite/" in output
    invitation = Invitation.objects.get()
    assert invitation.role == "system_admin"
    assert invitation.invited_by is None


def test_it_names_an_unknown_organisation(st_annes):
    with pytest.raises(
        CommandError, match=r"No organisation has the slug 'nowhere'\. Known slugs: st-annes"
    ):
        run("a.b@stannes.example", "--org", "nowhere", "--role", "leader")


def test_it_lists_the_roles_for_an_unknown_role(st_annes):
    with pytest.raises(
        CommandError,
        match=r"not a role one can invite to\. Choose one of: clinician, .*system_admin",
    ):
        run("a.b@stannes.example", "--org", "st-annes", "--role", "boss")


def test_it_refuses_a_malformed_address(st_annes):
    with pytest.raises(CommandError, match="not a valid e-mail address"):
        run("not an address", "--org", "st-annes", "--role", "leader")
    assert Invitation.objects.count() == 0
