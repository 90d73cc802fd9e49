"""Every Wellkept management command declares its policy, like every view."""

from __future__ import annotations

import importlib

from django.core.management import get_commands

from wellkept.access.decorators import ATTRIBUTE, ViewPolicy


def wellkept_commands() -> dict[str, type]:
    found = {}
    for name, app in get_commands().items():
        if isinstance(app, str) and app.startswith("wellkept."):
            module = importlib.import_module(f"{app}.management.commands.{name}")
            found[name] = module.Command
    return found


def test_it_finds_the_wellkept_commands() -> None:
    assert {"keys", "invite", "audit", "seed_demo", "demo_totp"} <= set(wellkept_commands())


def test_every_wellkept_command_declares_a_policy() -> None:
    undeclared = [
        name
        for name, command in wellkept_commands().items()
        if not isinstance(getattr(command, ATTRIBUTE, None), ViewPolicy)
    ]
    assert undeclared == [], f"commands without a policy declaration: {undeclared}"
