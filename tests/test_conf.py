"""Environment readers: bad values get a message that names the variable."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from wellkept.conf import Env


def test_it_reads_typed_values() -> None:
    env = Env({"A": "42", "B": "yes", "C": "a, b,,c", "D": " text "})
    assert env.int("A", 1) == 42
    assert env.bool("B", False) is True
    assert env.list("C", []) == ["a", "b", "c"]
    assert env.str("D", "") == "text"
    assert env.int("MISSING", 7) == 7


@pytest.mark.parametrize(
    ("environ", "call", "message"),
    [
        ({"N": "ten"}, lambda e: e.int("N", 1), "N='ten' is not a whole number"),
        ({"N": "5"}, lambda e: e.int("N", 10, minimum=60), "N=5 is too small. The minimum is 60"),
        ({"N": "99"}, lambda e: e.int("N", 1, maximum=10), "too large"),
        ({"B": "maybe"}, lambda e: e.bool("B", True), "B='maybe' is not a yes/no value"),
        ({"C": "x"}, lambda e: e.choice("C", "a", ("a", "b")), "Use one of: a, b"),
    ],
)
def test_it_explains_bad_values(environ, call, message) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        call(Env(environ))


def test_it_reads_secrets_from_files(tmp_path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    assert Env({"KEY_FILE": str(secret)}).raw("KEY") == "s3cret"


def test_it_refuses_a_missing_secret_file(tmp_path) -> None:
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        Env({"KEY_FILE": str(tmp_path / "absent")}).raw("KEY")


def test_it_refuses_both_a_value_and_a_file(tmp_path) -> None:
    with pytest.raises(ImproperlyConfigured, match="Set only one"):
        Env({"KEY": "x", "KEY_FILE": str(tmp_path)}).raw("KEY")
