"""The hook registry: declared names only, the declared payload only, receivers in order."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from wellkept import hooks
from wellkept.hooks import Hook, UnknownHook


@dataclass(frozen=True)
class Rang:
    what: str


@pytest.fixture
def bell():
    declared = Hook(f"tests.bell_{id(Rang)}_{len(hooks.declared())}", Rang)
    yield declared
    hooks._HOOKS.pop(declared.name)


def test_it_refuses_an_unknown_hook_name():
    with pytest.raises(UnknownHook, match=r"No hook is named 'assessments\.no_such_thing'"):
        hooks.hook("assessments.no_such_thing")
    with pytest.raises(UnknownHook):
        hooks.connect("assessments.no_such_thing", print)


def test_it_finds_a_declared_hook_by_name(bell):
    assert hooks.hook(bell.name) is bell
    heard: list[Rang] = []
    hooks.connect(bell.name, heard.append)
    bell.emit(Rang("by name"))
    assert heard == [Rang("by name")]


def test_it_refuses_a_second_declaration_of_one_name(bell):
    with pytest.raises(ValueError, match="declared already"):
        Hook(bell.name, Rang)


def test_it_refuses_a_payload_of_the_wrong_type(bell):
    heard: list[object] = []
    bell.connect(heard.append)
    with pytest.raises(TypeError, match="carries Rang, not str"):
        bell.emit("ding")  # type: ignore[arg-type]
    assert heard == []


def test_it_calls_receivers_in_order_and_each_once(bell):
    heard: list[str] = []

    def first(event: Rang) -> None:
        heard.append("first:" + event.what)

    def second(event: Rang) -> None:
        heard.append("second:" + event.what)

    bell.connect(first)
    bell.connect(second)
    bell.connect(first)  # a ready() run twice must not double the reaction
    bell.emit(Rang("ding"))
    assert heard == ["first:ding", "second:ding"]


def test_a_receivers_error_reaches_the_emitter(bell):
    def broken(event: Rang) -> None:
        raise RuntimeError("the receiver failed")

    bell.connect(broken)
    with pytest.raises(RuntimeError, match="the receiver failed"):
        bell.emit(Rang("ding"))


def test_the_apps_connect_their_reactions_at_startup():
    # Each hook the apps declare has the receivers docs/architecture.md names.
    def receivers(name: str) -> set[str]:
        return {f"{r.__module__}.{r.__qualname__}" for r in hooks.hook(name).receivers}

    assert receivers("assessments.responses_stored") == {
        "wellkept.insights.store.on_responses_stored"
    }
    assert receivers("assessments.safety_alert_raised") == {
        "wellkept.followup.services.on_safety_alert_raised"
    }
    assert receivers("consent.withdrawn") == {"wellkept.assessments.services.on_consent_withdrawn"}
    assert receivers("consent.taking_part_changed") == {
        "wellkept.insights.store.on_taking_part_changed"
    }
    assert receivers("orgs.participant_moved") == {"wellkept.insights.store.on_participant_moved"}
    assert receivers("practice.client_erasing") == {
        "wellkept.portal.services.on_client_erasing",
        "wellkept.messaging.services.on_client_erasing",
        "wellkept.portal.care.on_client_erasing",
    }
