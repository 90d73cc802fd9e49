"""Every URL declares its policy; a view added without one fails this test."""

from __future__ import annotations

import sys
import types
from functools import wraps

from django.http import HttpResponse
from django.test import override_settings
from django.urls import get_resolver, include, path
from django.views import View

from wellkept.access.decorators import public
from wellkept.access.registry import declaration_for, undeclared, walk


def test_it_finds_a_declaration_for_every_url():
    assert undeclared(get_resolver()) == []


def test_it_covers_the_pages_people_use():
    names = {p.name for _, p in walk(get_resolver().url_patterns)}
    assert {"home", "invitation_list", "account_login", "mfa_activate_totp"} <= names


def test_it_reads_declarations_through_wrapping_decorators():
    @public
    def inner(request):
        return HttpResponse("ok")

    @wraps(inner)
    def outer(request):
        return inner(request)

    (_, pattern) = walk([path("x/", outer, name="x")])[0]
    assert declaration_for(pattern) is not None


def test_it_does_not_let_a_subclass_inherit_its_parents_declaration():
    @public
    class Declared(View):
        pass

    class Undeclared(Declared):
        pass

    (_, pattern) = walk([path("x/", Undeclared.as_view(), name="x")])[0]
    assert declaration_for(pattern) is None


def undeclared_view(request):
    return HttpResponse("a view nobody declared")


class UndeclaredClassView(View):
    pass


def test_it_fails_when_a_new_view_has_no_declaration():
    urlconf = types.ModuleType("wellkept_access_test_urls")
    urlconf.urlpatterns = [  # type: ignore[attr-defined]
        path("", include("wellkept.urls")),
        path("new/", include([path("report/", undeclared_view, name="new_report")])),
        path("class/", UndeclaredClassView.as_view(), name="new_class_view"),
    ]
    sys.modules[urlconf.__name__] = urlconf
    try:
        with override_settings(ROOT_URLCONF=urlconf.__name__):
            missing = undeclared(get_resolver())
    finally:
        del sys.modules[urlconf.__name__]
    assert len(missing) == 2
    assert missing[0].startswith("new/report/ (name='new_report'")
    assert missing[1].startswith("class/ (name='new_class_view'")


def test_it_does_not_let_a_wellkept_view_borrow_an_allauth_name():
    # The registry covers allauth's own views only: our view named like one
    # must still declare itself.
    (_, pattern) = walk([path("login/", undeclared_view, name="account_login")])[0]
    assert declaration_for(pattern) is None
