"""A test-only URL configuration with views that fail on purpose."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from wellkept.urls import urlpatterns as wellkept_urlpatterns

SECRET_DETAIL = "canary-7f3a: patient Jane Roe, PHQ-9 item 9 = 3"


@login_not_required
def explode(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET_DETAIL)


@login_not_required
def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied(SECRET_DETAIL)


@login_not_required
def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation(SECRET_DETAIL)


urlpatterns = [
    path("explode/", explode),
    path("forbidden/", forbidden),
    path("suspicious/", suspicious),
    *wellkept_urlpatterns,
]
