"""The axe-core harness itself: it must see what it should.

Every page of every role runs through axe in test_every_page.py; this proves
that the harness (tests/browser/support.py) reports a serious violation
rather than passing whatever it is given.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.support import Audit

pytestmark = [pytest.mark.browser]


def test_the_audit_fails_on_a_serious_violation(page: Page) -> None:
    """An unlabelled image, an unlabelled field and an invalid autocomplete are caught."""
    page.set_content(
        '<!doctype html><html lang="en"><title>t</title><main><img src="x.png">'
        '<input type="text"><label>E-mail <input type="email" autocomplete="username email">'
        "</label></main></html>"
    )
    audit = Audit()
    audit.check(page, "broken page")
    assert "broken page: image-alt" in audit.failing
    assert "broken page: label" in audit.failing
    assert "broken page: autocomplete-valid" in audit.failing
