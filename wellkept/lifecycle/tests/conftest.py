"""Fixtures shared with other apps' tests live in ``fixtures``."""

from wellkept.assessments.tests.fixtures import hospital

__all__ = ["hospital"]
