"""The practice's personas (wellkept/practice/tests/conftest.py) serve these tests too."""

from wellkept.practice.tests.conftest import _practice_once, practice  # noqa: F401
