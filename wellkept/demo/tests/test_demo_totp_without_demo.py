"""`wellkept demo_totp` before any demo was seeded.

Apart from test_demo_totp.py, whose demo is seeded once for the whole
module: a test there would see it.
"""

from __future__ import annotations

import pytest
from django.core.management import CommandError

from wellkept.demo.tests.test_demo_totp import LEADER, demo_totp

pytestmark = [pytest.mark.django_db, pytest.mark.one_engine]


def test_it_refuses_when_there_is_no_demo(db: None) -> None:
    with pytest.raises(CommandError, match="no demo account"):
        demo_totp(LEADER)
