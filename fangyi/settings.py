"""fangyi settings, read from the environment (see README, "Configuration")."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from fangyi.core.env import (
    env_bool,
    env_choice,
    env_database,
    env_int,
    env_list,
    env_networks,
    env_replica_database,
    env_secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FANGYI_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = env_secret_key("FANGYI_SECRET_KEY", VAR_DIR / "secret_key")
DEBUG = env_bool("FANGYI_DEBUG", False)
ALLOWED_HOSTS = env_list("FANGYI_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("FANGYI_CSRF_TRUSTED_ORIGINS", [])
# Addresses of the reverse proxies in front of the app, whose X-Forwarded-For names the
# client (core.middleware.client_ip): the login lockout, rate limits and access log
# count clients, not the proxy.
TRUSTED_PROXIES = frozenset(env_list("FANGYI_TRUSTED_PROXIES", []))
# Who besides loopback may read /metrics (core.metrics): addresses and CIDR networks.
METRICS_ALLOWED = env_networks("FANGYI_METRICS_ALLOWED")
# "json": one JSON line per request and JSON log lines (core.request_log).
LOG_FORMAT = env_choice("FANGYI_LOG_FORMAT", "text", ("text", "json"))

DATABASES = {"default": env_database("FANGYI_DATABASE_URL", VAR_DIR / "fangyi.sqlite3")}
# A PostgreSQL streaming replica for the heavy read-only pages (core.dbrouter).
_replica = env_replica_database("FANGYI_REPLICA_DATABASE_URL", DATABASES["default"])
if _replica is not None:
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["fangyi.core.dbrouter.ReplicaRouter"]
# After a write, the browser reads the primary for this long (read your own writes).
REPLICA_PIN_SECONDS = env_int("FANGYI_REPLICA_PIN_SECONDS", 10, minimum=1, maximum=3600)
# A replica further behind than this is not read.
REPLICA_MAX_LAG_SECONDS = env_int("FANGYI_REPLICA_MAX_LAG_SECONDS", 30, minimum=1, maximum=3600)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "fangyi.core",
    "fangyi.places",
    "fangyi.people",
    "fangyi.duty",
    "fangyi.audit",
    "fangyi.health",
    "fangyi.quarantine",
    "fangyi.passes",
    "fangyi.reports",
    "fangyi.screening",
    "fangyi.jobs",
    "fangyi.support",
    "fangyi.retention",
    # On top of every app: it fills them all.
    "fangyi.demo",
]

MIDDLEWARE = [
    # First: it times the whole answer (request counts, latency, the JSON request log).
    "fangyi.core.metrics.RequestObserverMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the session's: a session saved on the way out counts as a write.
    "fangyi.core.dbrouter.ReplicaPinMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fangyi.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "fangyi.core.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fangyi.urls"
WSGI_APPLICATION = "fangyi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "fangyi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": [
                "fangyi.core.templatetags.fangyi_tags",
                "fangyi.places.templatetags.places_tags",
                "fangyi.people.templatetags.people_tags",
                "fangyi.quarantine.templatetags.quarantine_tags",
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "fangyi.duty.auth.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login lockout (django-axes, attempts kept in the database): the lockout backend
# comes first and refuses a locked-out login before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "fangyi.duty.auth.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "fangyi.duty.auth.LoginLockoutHandler"
# Per account and, separately, per client address: an account is locked after
# AXES_FAILURE_LIMIT failures, an address after LOGIN_FAILURES_PER_ADDRESS (higher,
# because a community office puts all its staff behind one address).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = 5
LOGIN_FAILURES_PER_ADDRESS = 20
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_CLIENT_IP_CALLABLE = "fangyi.core.middleware.client_ip"
AXES_LOCKOUT_CALLABLE = "fangyi.duty.auth.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "fangyi" / "locale"]
USE_I18N = True
# ISO first in every language's input formats: <input type="date"> shows nothing else.
FORMAT_MODULE_PATH = ["fangyi.core.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# Uploaded base images of zone maps; served through scoped views, never a public URL.
MEDIA_ROOT = VAR_DIR / "media"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Front-end libraries are installed from the npm registry at set-up
# (`make assets`) and copied here; nothing is loaded from a CDN.
STATICFILES_DIRS = [BASE_DIR / "fangyi" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
# Served over HTTPS: cookies only over HTTPS, every plain-HTTP request redirected, and
# browsers told (HSTS) to use HTTPS for a year. Behind a proxy that terminates HTTPS,
# gunicorn must trust its X-Forwarded-Proto (`--forwarded-allow-ips`), or every request
# looks like plain HTTP and is redirected again.
SESSION_COOKIE_SECURE = env_bool("FANGYI_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if SESSION_COOKIE_SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SESSION_COOKIE_SECURE
SECURE_HSTS_PRELOAD = SESSION_COOKIE_SECURE
# Probes and scrapers call the node itself over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

# Content-Security-Policy (django-csp): scripts, styles, images and requests from this
# site only, so that text someone managed to slip into a page cannot run or restyle
# anything. Pages carry no inline script, handler or style attribute (behaviours are
# data- attributes read by static/fangyi/site.js; a test greps every template); htmx is
# told not to inject its indicator <style> nor to eval (the htmx-config meta in
# base.html). Inline styles are refused too: the templates did without them at little
# cost, and an attribute that may style may also fetch. Styles a script sets through
# element.style (Swagger UI, ECharts' container) are not inline styles for the policy;
# ECharts draws its tooltip on the canvas (reports/stats.js). `data:` and `blob:`
# images: the page icon and images a script makes. PDFs get no policy (see core.csp).
# docs/design.md, "Security headers".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Background jobs (fangyi.jobs, docs/jobs.md): queued in the database through Django's
# tasks framework and run by `fangyi worker`, a process of its own.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING: dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
if LOG_FORMAT == "json":
    LOGGING["formatters"] = {"json": {"()": "fangyi.core.request_log.JsonLineFormatter"}}
    LOGGING["handlers"]["console"]["formatter"] = "json"
    LOGGING["loggers"] = {"fangyi.request": {"level": "INFO"}}

FANGYI_SITE_NAME = _("fangyi epidemic prevention")
