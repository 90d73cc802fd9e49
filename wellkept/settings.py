"""Wellkept settings, read from the environment.

Defaults give a safe, self-contained demo on a fresh clone (SQLite in WAL mode,
a local key file generated on first run). ``WELLKEPT_ENV=production`` turns on
the strict defaults and the system checks in ``wellkept.web.checks`` that
refuse to run without HTTPS, HSTS, secure cookies, a real secret key and an
existing key-encryption key. See docs/admin-guide.md for every variable.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from wellkept.conf import Env, read_or_create_secret, restrict_file_creation

env = Env()

BASE_DIR = Path(__file__).resolve().parent.parent
WELLKEPT_ENV = env.choice("WELLKEPT_ENV", "development", ("development", "production"))
PRODUCTION = WELLKEPT_ENV == "production"

# Runtime state (keys, SQLite database, audit checkpoints) lives here; ignored by git.
VAR_DIR = env.path("WELLKEPT_VAR_DIR", BASE_DIR / "var")

# Everything this process creates (var/, the database and its WAL and SHM,
# keys, journals, checkpoints, backups) is for the service's own user only:
# folders 0700, files 0600. Production refuses to start while any of them is
# readable by others (check wellkept.E040).
restrict_file_creation()

DEBUG = env.bool("WELLKEPT_DEBUG", False)

_secret_key = env.optional_str("WELLKEPT_SECRET_KEY")
WELLKEPT_SECRET_KEY_FROM_ENV = _secret_key is not None
if _secret_key is None and not PRODUCTION:
    _secret_key = read_or_create_secret(VAR_DIR / "keys" / "django-secret-key")
# In production an absent key is reported by check wellkept.E002 rather than
# crashing here, so the operator sees every missing setting in one run. The
# stand-in is random per process, so nothing signed with it is predictable,
# and the check stops every server from starting with it.
SECRET_KEY = _secret_key or "unset-" + secrets.token_urlsafe(50)


ALLOWED_HOSTS = env.list(
    "WELLKEPT_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("WELLKEPT_CSRF_TRUSTED_ORIGINS", [])
WELLKEPT_BASE_URL = env.str("WELLKEPT_BASE_URL", "http://127.0.0.1:8000")
# Named in consent receipts: the legal system the notice and consents fall under.
WELLKEPT_JURISDICTION = env.str("WELLKEPT_JURISDICTION", "EU")

INSTALLED_APPS = [
    "wellkept.web",
    "wellkept.vault",
    "wellkept.audit",
    "wellkept.access",
    "wellkept.accounts",
    "wellkept.orgs",
    "wellkept.consent",
    "wellkept.assessments",
    "wellkept.lifecycle",
    "wellkept.followup",
    "wellkept.insights",
    "wellkept.practice",
    "wellkept.disclosures",
    "wellkept.portal",
    "wellkept.messaging",
    # Synthetic data only (seed_demo, seed, demo_totp); never writes on its own.
    "wellkept.demo",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # allauth's sessions page (usersessions) formats times with it.
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Early, so every audit entry a request writes carries its id.
    "wellkept.audit.middleware.request_id",
    # Collects work to run after the response (wellkept.deferred): mail from
    # public forms, so they take the same time whatever address is typed.
    "wellkept.deferred.deferred_work",
    "wellkept.web.middleware.security_headers",
    "csp.middleware.CSPMiddleware",
    # Django's, keyed by a hash of the cookie (wellkept.accounts.sessions).
    "wellkept.accounts.sessions.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: it leaves a "you were signed out" note for the login page.
    "wellkept.web.middleware.SessionTimeoutMiddleware",
    # After the timeouts (an expired session goes to sign-in, not enrolment):
    # staff without a second factor may only reach MFA enrolment and sign-out.
    "wellkept.accounts.middleware.mfa_enrolment_required",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    # A client's portal login reaches /portal/ and its own account only.
    "wellkept.portal.middleware.portal_confinement",
]

ROOT_URLCONF = "wellkept.urls"
WSGI_APPLICATION = "wellkept.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "wellkept.web.context_processors.wellkept",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# SQLite is the embedded default. WAL lets readers continue while one writer
# commits; synchronous=FULL makes a commit durable across power loss, which an
# audit trail needs; secure_delete overwrites freed pages so a shredded key or
# a deleted row does not linger in the file.
_database_url = env.optional_str("DATABASE_URL")
if _database_url:
    try:
        DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"DATABASE_URL is not a valid database URL ({exc}). "
            "Use a form like postgres://user:password@host:5432/wellkept."
        ) from None
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # One test database per process, as for SQLite below: two test runs on
    # one server (CI runs suites side by side) would otherwise drop each
    # other's `test_<name>` database mid-run.
    DATABASES["default"]["TEST"] = {
        "NAME": f"test_{DATABASES['default'].get('NAME') or 'wellkept'}_{os.getpid()}"
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(env.path("WELLKEPT_SQLITE_PATH", VAR_DIR / "wellkept.sqlite3")),
            "OPTIONS": {
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=FULL;"
                    "PRAGMA secure_delete=ON;"
                    "PRAGMA foreign_keys=ON;"
                    # A writer waits up to 25 s for the write lock, under
                    # gunicorn's 30 s worker timeout: a dashboard view's
                    # first release runs the disclosure auditor inside its
                    # transaction (seconds on a large ledger), and a sign-in
                    # behind it must wait, not fail with "database is locked".
                    "PRAGMA busy_timeout=25000;"
                    # REPLACE deletes the row it replaces; with recursive
                    # triggers that delete fires the audit tables' guard.
                    "PRAGMA recursive_triggers=ON;"
                ),
                # Take the write lock at BEGIN so concurrent writers queue
                # instead of failing with "database is locked" on upgrade.
                "transaction_mode": "IMMEDIATE",
            },
            # A file, not :memory:, so tests can grep the bytes actually written;
            # one per process, so parallel test runs do not share a database.
            "TEST": {"NAME": str(VAR_DIR / f"test-wellkept-{os.getpid()}.sqlite3")},
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False

# PostgreSQL least privilege (docs/admin-guide.md, "Database roles"): the
# application connects (DATABASE_URL) as a role that may only INSERT and
# SELECT the audit tables; the tables belong to another role, which
# `wellkept migrate` uses when this is set. Give it to the migration step
# only, never to the running application.
_owner_url = env.optional_str("WELLKEPT_DATABASE_OWNER_URL")
WELLKEPT_DATABASE_OWNER: dict | None = None
if _owner_url:
    if not _database_url:
        raise ImproperlyConfigured(
            "WELLKEPT_DATABASE_OWNER_URL is set but DATABASE_URL is not. The owner's "
            "connection is for PostgreSQL; set DATABASE_URL to the application role's."
        )
    try:
        WELLKEPT_DATABASE_OWNER = dict(dj_database_url.parse(_owner_url))
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"WELLKEPT_DATABASE_OWNER_URL is not a valid database URL ({exc}). Use a form "
            "like postgres://wellkept_owner:password@host:5432/wellkept."
        ) from None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, throttling) ---------------------------------------
_redis_url = env.optional_str("REDIS_URL")
if _redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url,
        }
    }
else:
    # One process only. Several app servers must share REDIS_URL, otherwise
    # each keeps its own login throttle (see check wellkept.W001).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Keys -----------------------------------------------------------------
WELLKEPT_KEYRING_PROVIDER = env.str(
    "WELLKEPT_KEYRING_PROVIDER", "wellkept.vault.keyring.LocalFileKeyring"
)
WELLKEPT_KEYRING_FILE = env.path("WELLKEPT_KEYRING_FILE", VAR_DIR / "keys" / "keyring.json")
# Development creates the key file on first use; production must be given one.
WELLKEPT_KEYRING_CREATE = env.bool("WELLKEPT_KEYRING_CREATE", not PRODUCTION)
# How long an unwrapped data key may be reused in one process before it is
# read and unwrapped again. Bounds how long another process keeps decrypting
# after a shred; 0 disables the cache.
WELLKEPT_DEK_CACHE_SECONDS = env.int("WELLKEPT_DEK_CACHE_SECONDS", 5, minimum=0, maximum=300)
# How long a new KEK must have been current before an old one may be retired.
WELLKEPT_KEK_RETIRE_GRACE_SECONDS = env.int(
    "WELLKEPT_KEK_RETIRE_GRACE_SECONDS", 3600, minimum=0, maximum=30 * 24 * 3600
)

# --- Audit trail (docs/security.md, docs/admin-guide.md "Checkpoint sinks") -----
# Checkpoints (the chain heads, themselves chained and signed) go to every
# sink named here, within WELLKEPT_AUDIT_CHECKPOINT_SECONDS of every commit.
# Empty means the development default: a file and a SQLite database under
# var/audit/. Production needs two readable sinks, one of them on another
# host (check wellkept.E030).
WELLKEPT_AUDIT_CHECKPOINT_SINKS = env.list("WELLKEPT_AUDIT_CHECKPOINT_SINKS", [])
WELLKEPT_AUDIT_CHECKPOINT_FILE = env.path(
    "WELLKEPT_AUDIT_CHECKPOINT_FILE", VAR_DIR / "audit" / "checkpoints.jsonl"
)
WELLKEPT_AUDIT_ANCHOR_FILE = env.path(
    "WELLKEPT_AUDIT_ANCHOR_FILE", VAR_DIR / "audit" / "anchor.sqlite3"
)
# The longest a committed entry waits for its checkpoint; 0 switches the
# background writer off (tests; refused in production).
WELLKEPT_AUDIT_CHECKPOINT_SECONDS = env.int(
    "WELLKEPT_AUDIT_CHECKPOINT_SECONDS", 1, minimum=0, maximum=60
)
# A checkpoint at least this often whatever happened: it is what covers the
# pseudonymous chain, whose commits never trigger one (docs/security.md).
WELLKEPT_AUDIT_CHECKPOINT_HEARTBEAT_SECONDS = env.int(
    "WELLKEPT_AUDIT_CHECKPOINT_HEARTBEAT_SECONDS", 60, minimum=5, maximum=3600
)
# How long the writer waits after a commit for the ones right behind it.
WELLKEPT_AUDIT_CHECKPOINT_GATHER = 0.25

# --- Backups and the tombstone journal (docs/backups.md) --------------------
# One line per erasure (a keyed digest of the token and the time), kept
# outside the database so that a restored backup cannot forget who asked to
# be erased. Keep it with the audit checkpoints, off the database host.
WELLKEPT_TOMBSTONE_FILE = env.path(
    "WELLKEPT_TOMBSTONE_FILE", VAR_DIR / "lifecycle" / "tombstones.jsonl"
)
# The backup key is not a data key: a stolen backup plus the keyring must not
# be enough, and an operator may hold backups without being able to read data.
# Escrow it apart from the keyring; `wellkept backup keygen` creates it.
WELLKEPT_BACKUP_KEY_FILE = env.path("WELLKEPT_BACKUP_KEY_FILE", VAR_DIR / "keys" / "backup.key")
# Where `wellkept backup drill` looks for the latest backup when given no --dir.
WELLKEPT_BACKUP_DIR = env.path("WELLKEPT_BACKUP_DIR", VAR_DIR / "backups")

# --- Retention and erasure (docs/retention-and-erasure.md) ----------------
# The hour (UTC) from which `wellkept scheduler` runs the daily retention job,
# how often it looks, and where it remembers the last run (a restart must not
# lose it; the jobs are idempotent, so a lost file only costs a re-run).
WELLKEPT_RETENTION_HOUR = env.int("WELLKEPT_RETENTION_HOUR", 3, minimum=0, maximum=23)
WELLKEPT_SCHEDULER_POLL_SECONDS = env.int(
    "WELLKEPT_SCHEDULER_POLL_SECONDS", 60, minimum=1, maximum=3600
)
WELLKEPT_SCHEDULER_STATE_FILE = env.path(
    "WELLKEPT_SCHEDULER_STATE_FILE", VAR_DIR / "lifecycle" / "scheduler.json"
)

# --- Authentication -------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["wellkept.accounts.backends.EmailBackend"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "account_login"

PASSWORD_HASHERS = [
    # Django's Argon2 hasher uses argon2id.
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "wellkept.accounts.passwords.LengthValidator"},
    {"NAME": "wellkept.accounts.passwords.BreachedPasswordValidator"},
    {"NAME": "wellkept.accounts.passwords.ContextValidator"},
]

WELLKEPT_SESSION_IDLE_SECONDS = env.int(
    "WELLKEPT_SESSION_IDLE_SECONDS", 15 * 60, minimum=60, maximum=24 * 3600
)
WELLKEPT_SESSION_ABSOLUTE_SECONDS = env.int(
    "WELLKEPT_SESSION_ABSOLUTE_SECONDS", 12 * 3600, minimum=300, maximum=7 * 24 * 3600
)
WELLKEPT_SESSION_WARNING_SECONDS = env.int(
    "WELLKEPT_SESSION_WARNING_SECONDS", 120, minimum=10, maximum=3600
)
WELLKEPT_REAUTH_SECONDS = env.int("WELLKEPT_REAUTH_SECONDS", 300, minimum=30, maximum=3600)
WELLKEPT_INVITATION_DAYS = env.int("WELLKEPT_INVITATION_DAYS", 7, minimum=1, maximum=30)
# How long a client's portal invitation link works (issue 19); a new one revokes it.
WELLKEPT_PORTAL_INVITATION_HOURS = env.int(
    "WELLKEPT_PORTAL_INVITATION_HOURS", 72, minimum=1, maximum=14 * 24
)
# The practice's appointment policy for the portal (issue 19): inside the
# notice a client calls instead of cancelling or moving online, and the
# optional late-cancellation fee policy is shown to them; a client requests
# appointments at most this many days ahead.
WELLKEPT_PORTAL_NOTICE_HOURS = env.int(
    "WELLKEPT_PORTAL_NOTICE_HOURS", 24, minimum=0, maximum=14 * 24
)
WELLKEPT_PORTAL_REQUEST_DAYS = env.int("WELLKEPT_PORTAL_REQUEST_DAYS", 60, minimum=1, maximum=366)
WELLKEPT_PORTAL_LATE_FEE_POLICY = env.str("WELLKEPT_PORTAL_LATE_FEE_POLICY", "")

# Database sessions stored under a hash of the cookie's key, so a copy of the
# table (a dump, a stolen file) holds no key that opens a live session.
SESSION_ENGINE = "wellkept.accounts.sessions"
# Messages ride in a signed cookie, never in the session row: "You are taking
# part" stored in a row keyed by the login would say who takes part.
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
SESSION_COOKIE_AGE = WELLKEPT_SESSION_ABSOLUTE_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "__Host-wellkept_session" if PRODUCTION else "wellkept_session"
CSRF_COOKIE_NAME = "__Host-wellkept_csrf" if PRODUCTION else "wellkept_csrf"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "wellkept.web.views.csrf_failure"

# django-allauth: email login, invitation-only sign-up, MFA.
ACCOUNT_ADAPTER = "wellkept.accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_USER_MODEL_EMAIL_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = WELLKEPT_REAUTH_SECONDS
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Wellkept] "
# A reset request for an unknown address sends nothing (allauth would mail
# "you have no account"); the page says the same either way.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# Reset links work for one hour.
PASSWORD_RESET_TIMEOUT = 3600
ACCOUNT_FORMS = {
    # Keeps the typed address out of the (unencrypted) session table.
    "login": "wellkept.accounts.forms.LoginForm",
    # Finds the account through the blind index instead of a clear-text column.
    "reset_password": "wellkept.accounts.forms.ResetPasswordForm",
}
ACCOUNT_RATE_LIMITS = {
    # Our own back-off (wellkept.accounts.throttle) guards passwords and MFA
    # codes, with counters per account that no address rotation escapes.
    # allauth's "login_failed" also drives its per-user MFA limit, which ours
    # replaces. allauth's fixed windows stay on for everything else.
    "login_failed": False,
    # Every sign-in POST from one address (IPv6: one /64), wrong or right.
    # Only a flood guard, since guessing is bounded per account: allauth's
    # 30 a minute would refuse a whole hospital behind one NAT address at a
    # shift change.
    "login": "300/m/ip",
}
MFA_ADAPTER = "wellkept.accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = env.str("WELLKEPT_TOTP_ISSUER", "Wellkept")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION
MFA_RECOVERY_CODE_COUNT = 10
MFA_FORMS = {
    # Back-off on code entry, numeric keyboards, and (for enrolment) the
    # pending TOTP secret kept encrypted in the session.
    "authenticate": "wellkept.accounts.forms.MFAAuthenticateForm",
    "reauthenticate": "wellkept.accounts.forms.MFAReauthenticateForm",
    "activate_totp": "wellkept.accounts.forms.ActivateTOTPForm",
    "deactivate_totp": "wellkept.accounts.forms.DeactivateTOTPForm",
}
# wellkept.access.guards.reauth_required guards the MFA pages instead
# (see wellkept/accounts/urls.py), so people are not asked twice.
MFA_REAUTHENTICATION_REQUIRED = False
USERSESSIONS_TRACK_ACTIVITY = True

# Run after-response work in the request's thread instead of the worker
# (tests only: their data is not committed, so another thread cannot see it).
WELLKEPT_DEFERRED_INLINE = env.bool("WELLKEPT_DEFERRED_INLINE", False)

# --- Email ----------------------------------------------------------------
EMAIL_BACKEND = env.str("WELLKEPT_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("WELLKEPT_EMAIL_HOST", "localhost")
EMAIL_PORT = env.int("WELLKEPT_EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env.str("WELLKEPT_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env.str("WELLKEPT_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env.bool("WELLKEPT_EMAIL_TLS", False)
EMAIL_USE_SSL = env.bool("WELLKEPT_EMAIL_SSL", False)
DEFAULT_FROM_EMAIL = env.str("WELLKEPT_FROM_EMAIL", "Wellkept <wellkept@localhost>")

# --- HTTPS and security headers -------------------------------------------
SECURE_SSL_REDIRECT = env.bool("WELLKEPT_SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env.int("WELLKEPT_HSTS_SECONDS", 31536000 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("WELLKEPT_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("WELLKEPT_HSTS_PRELOAD", PRODUCTION)
SESSION_COOKIE_SECURE = env.bool("WELLKEPT_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
WELLKEPT_BEHIND_PROXY = env.bool("WELLKEPT_BEHIND_PROXY", False)
if WELLKEPT_BEHIND_PROXY:
    # Only trust this header when a reverse proxy that sets it is in front.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Where the client address comes from, for the sign-in back-off and allauth's
# rate limits (both ask allauth's adapter). Without either, every request
# behind a proxy seems to come from the proxy (check wellkept.E020).
# The number of proxies under our control that append to X-Forwarded-For:
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("WELLKEPT_TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=10)
# Or a header the proxy sets to the client address (e.g. X-Real-IP), which
# then wins over X-Forwarded-For:
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.optional_str("WELLKEPT_TRUSTED_CLIENT_IP_HEADER")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
WELLKEPT_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
        "manifest-src": ["'self'"],
    },
}

# --- Static files ---------------------------------------------------------
STATIC_URL = "/static/"
# Production serves collected files (`wellkept collectstatic`); development
# serves straight from the apps through WhiteNoise's finders.
_static_root = env.optional_str("WELLKEPT_STATIC_ROOT")
STATIC_ROOT: Path | None = (
    Path(_static_root) if _static_root else (VAR_DIR / "static" if PRODUCTION else None)
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = env.str("WELLKEPT_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Logging: never personal values, see docs/security-guide.md -------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        # Invitation tokens and reset keys travel in URL paths, which
        # django.request (404s, errors) and django.security (CSRF failures)
        # log. On the handler, so records propagated from child loggers pass it.
        "redact_link_secrets": {"()": "wellkept.accounts.logging.RedactLinkSecrets"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_link_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("WELLKEPT_LOG_LEVEL", "INFO").upper()},
    "loggers": {
        # Request bodies and querystrings can carry personal values; the
        # default request logger would print them with tracebacks.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # runserver's access lines, through the redacting handler too.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- Telehealth (issue 19): the practice's own Jitsi Meet, token authentication ---
# All three or none: a URL without an app id and secret would hand out links
# to rooms anyone can enter. Unset, video appointments can still be booked,
# but no join link is issued (check wellkept.E050 refuses that in production).
WELLKEPT_JITSI_URL = env.str("WELLKEPT_JITSI_URL", "").rstrip("/")
WELLKEPT_JITSI_APP_ID = env.str("WELLKEPT_JITSI_APP_ID", "")
# WELLKEPT_JITSI_APP_SECRET_FILE is read by env.raw: the secret stays out of the environment.
WELLKEPT_JITSI_APP_SECRET = env.str("WELLKEPT_JITSI_APP_SECRET", "")
_jitsi_parts = [WELLKEPT_JITSI_URL, WELLKEPT_JITSI_APP_ID, WELLKEPT_JITSI_APP_SECRET]
if any(_jitsi_parts) and not all(_jitsi_parts):
    raise ImproperlyConfigured(
        "Set WELLKEPT_JITSI_URL, WELLKEPT_JITSI_APP_ID and WELLKEPT_JITSI_APP_SECRET (or "
        "WELLKEPT_JITSI_APP_SECRET_FILE) together, or none of them."
    )
if WELLKEPT_JITSI_URL:
    from urllib.parse import urlsplit as _urlsplit

    _jitsi = _urlsplit(WELLKEPT_JITSI_URL)
    if _jitsi.scheme not in ("https", "http") or not _jitsi.hostname or _jitsi.query:
        raise ImproperlyConfigured(
            f"WELLKEPT_JITSI_URL must be the Jitsi Meet address, such as "
            f"https://meet.example.org; got {WELLKEPT_JITSI_URL!r}."
        )
    if PRODUCTION and _jitsi.scheme != "https":
        raise ImproperlyConfigured("WELLKEPT_JITSI_URL must use https in production.")
    # HS256 with a short secret can be brute-forced offline from one token.
    if len(WELLKEPT_JITSI_APP_SECRET) < 32:
        raise ImproperlyConfigured(
            "WELLKEPT_JITSI_APP_SECRET must be at least 32 characters (use a random secret)."
        )
# The practice's crisis line, shown with the local emergency contact when a
# client is in distress during a video session.
WELLKEPT_TELEHEALTH_CRISIS_LINE = env.str("WELLKEPT_TELEHEALTH_CRISIS_LINE", "")
# Secure messaging (issue 19): when the practice answers messages, in the
# practice's time zone ("Mon-Fri 09:00-17:00", several spans separated by
# commas); a client's message outside them gets an automatic reply pointing
# to crisis lines. Parsed where used (wellkept.messaging.hours).
WELLKEPT_PRACTICE_HOURS = env.str("WELLKEPT_PRACTICE_HOURS", "Mon-Fri 09:00-17:00")
# The largest attachment a message may carry, in bytes.
WELLKEPT_MESSAGE_ATTACHMENT_MAX_BYTES = env.int(
    "WELLKEPT_MESSAGE_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024, minimum=1024, maximum=25 * 1024 * 1024
)
# Uploads stay in memory, never in a temporary file in clear, and no more
# of one is kept than the largest attachment allowed (wellkept.messaging.uploads).
FILE_UPLOAD_HANDLERS = ["wellkept.messaging.uploads.BoundedMemoryUploadHandler"]
