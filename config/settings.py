"""Dixian settings: one module, every knob an environment variable with a safe embedded default.

Embedded mode (the default) is SQLite plus local files under var/. Production sets DATABASE_URL to
PostgreSQL, DIXIAN_SECRET_KEY (or DIXIAN_SECRET_KEY_FILE), DIXIAN_DEBUG=0 and DIXIAN_ALLOWED_HOSTS.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """Read NAME, or the file named by NAME_FILE (for secrets mounted as files)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    return env(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(env("DIXIAN_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DIXIAN_DEBUG", False)
SECRET_KEY = (
    env("DIXIAN_SECRET_KEY", "") or "dixian-embedded-insecure-key-set-DIXIAN_SECRET_KEY-in-production"
)
ALLOWED_HOSTS = [
    h.strip() for h in env("DIXIAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("DIXIAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "dixian.common",
    "dixian.regions",
    "dixian.accounts",
    "dixian.registry",
    "dixian.feeds",
    "dixian.screening",
    "dixian.cases",
    "dixian.declarations",
    "dixian.visits",
    "dixian.synthetic",
    "captcha",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Under /api/ every answer is JSON, Django's error pages included (dixian/feeds/api.py).
    "dixian.feeds.api.ApiJsonErrors",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dixian.common.middleware.FriendlyErrorMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dixian.accounts.capabilities.capabilities",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'dixian.sqlite3'}",
        conn_max_age=int(env("DIXIAN_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker write while the web process reads; busy timeout rides out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "registry:home"  # "/" sends each account to its work page
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = env("DIXIAN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("DIXIAN_MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
DIXIAN_MAX_UPLOAD_BYTES = int(env("DIXIAN_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024)))

# Lists larger than this export through a background job instead of inside the request.
DIXIAN_EXPORT_SYNC_LIMIT = int(env("DIXIAN_EXPORT_SYNC_LIMIT", "50000"))

# Export files (background jobs' results) expire this many days after they were made: the download is
# refused from then on and the worker deletes the file (docs/security.md §5).
DIXIAN_EXPORT_TTL_DAYS = int(env("DIXIAN_EXPORT_TTL_DAYS", "7"))
# The access log (who saw whose personal data) is kept this many days, then deleted by the worker.
DIXIAN_ACCESS_LOG_DAYS = int(env("DIXIAN_ACCESS_LOG_DAYS", "180"))
# Searches by a full ID or phone number, per account and hour (docs/security.md §5).
DIXIAN_FULL_NUMBER_SEARCHES_PER_HOUR = int(env("DIXIAN_FULL_NUMBER_SEARCHES_PER_HOUR", "60"))

# Probabilistic linkage of feed records without a usable ID number: at or above UPPER a record links to
# the registry person at once; between LOWER and UPPER it waits in the county reviewer's queue.
DIXIAN_LINK_UPPER = float(env("DIXIAN_LINK_UPPER", "0.95"))
DIXIAN_LINK_LOWER = float(env("DIXIAN_LINK_LOWER", "0.60"))
# The worker screens the previous month from this day of each month (Beijing time), once the departments'
# monthly data is in (医保 by the 5th); 0 turns the scheduled run off. 1-28, so that every month has it.
DIXIAN_MONTHLY_RUN_DAY = int(env("DIXIAN_MONTHLY_RUN_DAY", "6"))
if not 0 <= DIXIAN_MONTHLY_RUN_DAY <= 28:
    raise ImproperlyConfigured("DIXIAN_MONTHLY_RUN_DAY 应为 1–28 之间的日期(每月几号),或 0(不定时筛查)")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("DIXIAN_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = int(env("DIXIAN_SESSION_SECONDS", str(8 * 3600)))
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # 403 and 404 are logged as one line with path and account (dixian/common/logs.py), not a traceback.
    "filters": {"one_line_client_errors": {"()": "dixian.common.logs.OneLineClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DIXIAN_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["one_line_client_errors"]},
    },
}

# Public self-declaration page (/declare/). Limits are counted in the database, so every worker shares them;
# only a salted hash of the IP address / ID number is stored (the salt defaults to one derived from
# SECRET_KEY). Behind a reverse proxy set DIXIAN_CLIENT_IP_HEADER (e.g. HTTP_X_REAL_IP) to the header it
# sets; DIXIAN_PUBLIC_BASE_URL (e.g. https://dixian.example.gov.cn) is the address printed in QR codes.
DIXIAN_DECLARE_PER_IP_HOUR = int(env("DIXIAN_DECLARE_PER_IP_HOUR", "5"))
DIXIAN_DECLARE_PER_ID_DAY = int(env("DIXIAN_DECLARE_PER_ID_DAY", "3"))
DIXIAN_LOOKUPS_PER_IP_HOUR = int(env("DIXIAN_LOOKUPS_PER_IP_HOUR", "20"))
DIXIAN_RATE_LIMIT_SALT = env("DIXIAN_RATE_LIMIT_SALT", "")
DIXIAN_CLIENT_IP_HEADER = env("DIXIAN_CLIENT_IP_HEADER", "REMOTE_ADDR")
DIXIAN_PUBLIC_BASE_URL = env("DIXIAN_PUBLIC_BASE_URL", "").rstrip("/")
# The offline bot check (django-simple-captcha): a small sum drawn locally with Pillow and its bundled font;
# the answer is digits, typed on a phone's number pad. Long enough to fill in the form slowly.
CAPTCHA_CHALLENGE_FUNCT = "captcha.helpers.math_challenge"
CAPTCHA_MATH_CHALLENGE_OPERATOR = "×"
CAPTCHA_TIMEOUT = int(env("DIXIAN_CAPTCHA_MINUTES", "30"))
CAPTCHA_FONT_SIZE = 30
CAPTCHA_IMAGE_SIZE = (150, 50)
