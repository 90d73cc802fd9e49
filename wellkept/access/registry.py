"""Declarations for views Wellkept does not own (allauth's), by URL name, and lookup of any view's.

Third-party views cannot carry our decorator without patching their code,
so they are declared here. The registry applies only to views defined
outside ``wellkept``: a Wellkept view must carry its own declaration, even
when it takes over an allauth URL name.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver

from wellkept.access.decorators import ATTRIBUTE, PUBLIC, SELF_SERVICE, ViewPolicy

THIRD_PARTY_PACKAGES = ("allauth.",)

THIRD_PARTY: dict[str, ViewPolicy] = {
    # Signing in, out and back: no personal data until the person proves who they are.
    "account_login": PUBLIC,
    "account_inactive": PUBLIC,
    "account_reset_password": PUBLIC,
    "account_reset_password_done": PUBLIC,
    "account_reset_password_from_key": PUBLIC,
    "account_reset_password_from_key_done": PUBLIC,
    "mfa_authenticate": PUBLIC,
    "mfa_login_webauthn": PUBLIC,
    # Shadowed by Wellkept's 404 pages (accounts.urls.not_offered), listed so
    # that the shadowed originals are declared too.
    "account_signup": PUBLIC,
    "account_email_verification_sent": PUBLIC,
    "account_confirm_email": PUBLIC,
    "account_confirm_login_code": PUBLIC,
    "account_email": SELF_SERVICE,
    # The signed-in person's own password, second factors and sessions.
    "account_logout": SELF_SERVICE,
    "account_reauthenticate": SELF_SERVICE,
    "account_change_password": SELF_SERVICE,
    "account_set_password": SELF_SERVICE,
    "mfa_index": SELF_SERVICE,
    "mfa_reauthenticate": SELF_SERVICE,
    "mfa_activate_totp": SELF_SERVICE,
    "mfa_deactivate_totp": SELF_SERVICE,
    "mfa_view_recovery_codes": SELF_SERVICE,
    "mfa_generate_recovery_codes": SELF_SERVICE,
    "mfa_download_recovery_codes": SELF_SERVICE,
    "mfa_list_webauthn": SELF_SERVICE,
    "mfa_add_webauthn": SELF_SERVICE,
    "mfa_reauthenticate_webauthn": SELF_SERVICE,
    "mfa_remove_webauthn": SELF_SERVICE,
    "mfa_edit_webauthn": SELF_SERVICE,
    "usersessions_list": SELF_SERVICE,
}


def _layers(callback: Any) -> list[Any]:
    """List the view, what it wraps (functools.wraps chains) and a class-based view's class."""
    seen: list[Any] = []
    current = callback
    while current is not None and all(current is not s for s in seen):
        seen.append(current)
        view_class = getattr(current, "view_class", None)
        if view_class is not None:
            seen.append(view_class)
        current = getattr(current, "__wrapped__", None)
    return seen


def _is_third_party(callback: Any) -> bool:
    innermost = _layers(callback)[-1]
    module = getattr(innermost, "__module__", "") or ""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        module = view_class.__module__
    return module.startswith(THIRD_PARTY_PACKAGES)


def declaration_for(pattern: URLPattern) -> ViewPolicy | None:
    """Return the view's own declaration, or the registry's for a third-party view, or None."""
    for layer in _layers(pattern.callback):
        # vars(), not getattr(): a class-based view must not inherit a
        # declaration made for its parent class.
        found = vars(layer).get(ATTRIBUTE) if hasattr(layer, "__dict__") else None
        if isinstance(found, ViewPolicy):
            return found
    if pattern.name and _is_third_party(pattern.callback):
        return THIRD_PARTY.get(pattern.name)
    return None


def walk(
    patterns: list[URLPattern | URLResolver], prefix: str = ""
) -> list[tuple[str, URLPattern]]:
    """Every URL pattern under ``patterns``, with its full route, resolvers expanded."""
    found: list[tuple[str, URLPattern]] = []
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found.extend(walk(entry.url_patterns, route))
        else:
            found.append((route, entry))
    return found


def undeclared(resolver: URLResolver) -> list[str]:
    """Describe every URL pattern whose view declares no policy."""
    missing = []
    for route, pattern in walk(resolver.url_patterns):
        if declaration_for(pattern) is None:
            callback = pattern.callback
            where = f"{getattr(callback, '__module__', '?')}.{getattr(callback, '__name__', '?')}"
            missing.append(f"{route} (name={pattern.name!r}, view={where})")
    return missing
