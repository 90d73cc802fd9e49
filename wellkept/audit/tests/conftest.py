"""Personas shared with the accounts tests (an organisation, a participant)."""

from __future__ import annotations

from wellkept.accounts.tests.conftest import nina, st_annes

__all__ = ["nina", "st_annes"]
