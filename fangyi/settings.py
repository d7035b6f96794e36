"""fangyi settings, read from the environment (see README, "Configuration")."""

from __future__ import annotations

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from fangyi.core.env import env_bool, env_database, env_list, env_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FANGYI_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = env_secret_key("FANGYI_SECRET_KEY", VAR_DIR / "secret_key")
DEBUG = env_bool("FANGYI_DEBUG", False)
ALLOWED_HOSTS = env_list("FANGYI_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("FANGYI_CSRF_TRUSTED_ORIGINS", [])

DATABASES = {"default": env_database("FANGYI_DATABASE_URL", VAR_DIR / "fangyi.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "fangyi.core",
    "fangyi.places",
    "fangyi.people",
    "fangyi.duty",
    "fangyi.audit",
    "fangyi.quarantine",
    "fangyi.passes",
    "fangyi.reports",
    "fangyi.screening",
    "fangyi.jobs",
    "fangyi.support",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fangyi.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fangyi.urls"
WSGI_APPLICATION = "fangyi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "fangyi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["fangyi.core.templatetags.fangyi_tags"],
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
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
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
SESSION_COOKIE_SECURE = env_bool("FANGYI_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

FANGYI_SITE_NAME = _("fangyi epidemic prevention")
