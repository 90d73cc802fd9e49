"""Authenticate by e-mail through the blind index, in constant work."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from wellkept.accounts.models import User


class EmailBackend(BaseBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        email: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if email is None or password is None:
            return None
        user = User.objects.get_by_email(email)
        if user is None:
            # Hash anyway, so an unknown address costs the same time as a
            # wrong password and response time does not reveal who has an account.
            User().set_password(password)
            return None
        if user.check_password(password) and user.is_active:
            return user
        return None

    def get_user(self, user_id: Any) -> User | None:
        return User.objects.filter(pk=user_id, is_active=True).first()
