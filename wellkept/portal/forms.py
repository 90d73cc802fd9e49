"""Forms for the client portal."""

from __future__ import annotations

from wellkept.accounts.forms import AcceptInvitationForm


class PortalAcceptForm(AcceptInvitationForm):
    """The invited client chooses a password under the staff's rules.

    A second factor is offered and encouraged, not imposed, so the length
    for a password that may be the only factor applies.
    """
