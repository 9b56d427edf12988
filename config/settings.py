"""Dixian settings: one module, every knob an environment variable with a safe embedded default.

Embedded mode (the default) is SQLite plus local files under var/. Production sets DATABASE_URL to
PostgreSQL, DIXIAN_SECRET_KEY (or DIXIAN_SECRET_KEY_FILE), DIXIAN_DEBUG=0, DIXIAN_ALLOWED_HOSTS and
DIXIAN_SECURE_COOKIES=1; `dixian check --deploy` then reports no issues (docs/security.md §7).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

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
# The demo (`make demo`, `dixian demo_serve`) runs on this machine with the embedded key. Outside the demo
# (and DEBUG) the web server refuses to start with it, and `check --deploy` fails (docs/security.md §7).
DIXIAN_DEMO = env_bool("DIXIAN_DEMO", False)
EMBEDDED_SECRET_KEY = "dixian-embedded-insecure-key-set-DIXIAN_SECRET_KEY-in-production"  # noqa: S105 - public on purpose
SECRET_KEY = env("DIXIAN_SECRET_KEY", "") or EMBEDDED_SECRET_KEY
ALLOWED_HOSTS = [
    h.strip() for h in env("DIXIAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("DIXIAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    # The admin site is for the superuser only (dixian/accounts/admin_site.py, docs/security.md §6).
    "dixian.accounts.admin_site.SuperuserAdminConfig",
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
    "dixian.accounts.web",  # the account pages; their admin module audits the account admin
    "dixian.registry",
    "dixian.feeds",
    "dixian.screening",
    "dixian.cases",
    "dixian.monitoring",
    "dixian.declarations",
    "dixian.visits",
    "dixian.funds",
    "dixian.employment",
    "dixian.relocation",
    "dixian.rectification",
    "dixian.environment",
    "dixian.supervision",
    "dixian.governance",
    "dixian.dispatch",
    "dixian.reports",
    "dixian.synthetic",
    "captcha",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy below on every answer, static files included (docs/security.md §7).
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Answers to a signed-in account or a token, and every download, are never stored by a browser or proxy
    # (docs/security.md §7); after WhiteNoise (static files stay cacheable), around the rest.
    "dixian.common.middleware.NoStoreMiddleware",
    # Under /api/ every answer is JSON, Django's error pages included (dixian/feeds/api.py).
    "dixian.feeds.api.ApiJsonErrors",
    # A NUL in the path or a query value: 400 before any view reads it (docs/security.md §4).
    "dixian.common.middleware.NulRefusedMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dixian.common.middleware.FriendlyErrorMiddleware",
    # A temporary password must be changed, and (DIXIAN_REQUIRE_TOTP_FOR_PII) a second factor set up,
    # before any other page opens (docs/security.md §6).
    "dixian.accounts.web.middleware.AccountGate",
]

# docs/security.md §7: the app serves every script, style and image itself; no inline script or style, no
# eval (htmx runs with allowEval off), nothing framed, forms only to the app itself.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

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
# The chart library, installed by `npm ci` from package-lock.json (make demo / make test; docs/reports.md §1):
# only its dist/ folder is served, as /static/vendor/echarts/ (no CDN: county networks are often closed).
ECHARTS_DIST = BASE_DIR / "node_modules" / "echarts" / "dist"
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor/echarts", ECHARTS_DIST)]
MEDIA_ROOT = Path(env("DIXIAN_MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
DIXIAN_MAX_UPLOAD_BYTES = int(env("DIXIAN_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024)))
# Bounds of every uploaded spreadsheet, checked before it is read (docs/security.md §2).
DIXIAN_SHEET_MAX_ROWS = int(env("DIXIAN_SHEET_MAX_ROWS", "500000"))
DIXIAN_SHEET_MAX_COLUMNS = int(env("DIXIAN_SHEET_MAX_COLUMNS", "200"))
DIXIAN_SHEET_MAX_CELLS = int(env("DIXIAN_SHEET_MAX_CELLS", "8000000"))
DIXIAN_CSV_MAX_ROWS = int(env("DIXIAN_CSV_MAX_ROWS", "2000000"))
DIXIAN_XLSX_MAX_ENTRIES = int(env("DIXIAN_XLSX_MAX_ENTRIES", "1000"))
DIXIAN_XLSX_MAX_UNCOMPRESSED = int(env("DIXIAN_XLSX_MAX_UNCOMPRESSED", str(1024 * 1024 * 1024)))
DIXIAN_XLSX_MAX_RATIO = int(env("DIXIAN_XLSX_MAX_RATIO", "200"))
# Background jobs run in a child process of the worker under these limits (0: no limit); a job left
# running by a dead worker is failed after DIXIAN_JOB_STALE_SECONDS without heartbeat (docs/security.md §2).
DIXIAN_JOBS_IN_PROCESS = env_bool("DIXIAN_JOBS_IN_PROCESS", False)
DIXIAN_JOB_MAX_MEMORY_MB = int(env("DIXIAN_JOB_MAX_MEMORY_MB", "12288"))
DIXIAN_JOB_MAX_CPU_SECONDS = int(env("DIXIAN_JOB_MAX_CPU_SECONDS", str(4 * 3600)))
DIXIAN_JOB_STALE_SECONDS = int(env("DIXIAN_JOB_STALE_SECONDS", "300"))

# Lists larger than this export through a background job instead of inside the request.
DIXIAN_EXPORT_SYNC_LIMIT = int(env("DIXIAN_EXPORT_SYNC_LIMIT", "50000"))

# Export files (background jobs' results) expire this many days after they were made: the download is
# refused from then on and the worker deletes the file (docs/security.md §5).
DIXIAN_EXPORT_TTL_DAYS = int(env("DIXIAN_EXPORT_TTL_DAYS", "7"))
# The access log (who saw whose personal data) is kept this many days, then deleted by the worker.
DIXIAN_ACCESS_LOG_DAYS = int(env("DIXIAN_ACCESS_LOG_DAYS", "180"))
# Searches by a full ID or phone number, per account and hour (docs/security.md §5).
DIXIAN_FULL_NUMBER_SEARCHES_PER_HOUR = int(env("DIXIAN_FULL_NUMBER_SEARCHES_PER_HOUR", "60"))

# The platform's city (4 or 12 digits of its statistical division code): `import_regions` loads this
# city's part of the code table while the database holds no tree yet (docs/domain.md §19).
DIXIAN_CITY_CODE = env("DIXIAN_CITY_CODE", "3604")

# Probabilistic linkage of feed records without a usable ID number: at or above UPPER a record links to
# the registry person at once; between LOWER and UPPER it waits in the county reviewer's queue.
DIXIAN_LINK_UPPER = float(env("DIXIAN_LINK_UPPER", "0.95"))
DIXIAN_LINK_LOWER = float(env("DIXIAN_LINK_LOWER", "0.60"))
# The worker screens the previous month from this day of each month (Beijing time), once the departments'
# monthly data is in (医保 by the 5th); 0 turns the scheduled run off. 1-28, so that every month has it.
DIXIAN_MONTHLY_RUN_DAY = int(env("DIXIAN_MONTHLY_RUN_DAY", "6"))
if not 0 <= DIXIAN_MONTHLY_RUN_DAY <= 28:
    raise ImproperlyConfigured("DIXIAN_MONTHLY_RUN_DAY 应为 1–28 之间的日期(每月几号),或 0(不定时筛查)")

# When a week's living-environment report is due (docs/domain.md §27): "<days> <HH:MM>", days after the
# following Monday (0 = that Monday) and the local time; later reports are accepted and marked 迟报.
DIXIAN_ENVIRONMENT_DEADLINE = env("DIXIAN_ENVIRONMENT_DEADLINE", "0 12:00")

# Where `--backend spark` runs (docs/scale.md §1, §2): DIXIAN_SPARK_MASTER (local[2], spark://host:7077, yarn,
# k8s://…; empty = local on every core) or DIXIAN_SPARK_REMOTE (Spark Connect, sc://host:15002), and
# DIXIAN_SPARK_DRIVER_MEMORY, _EXECUTOR_MEMORY, _SHUFFLE_PARTITIONS, _START_TIMEOUT (seconds), _STAGING_DIR,
# _CONF ("spark.key=value …"). Checked when a Spark run starts (screening.engine.spark_session), not here:
# a wrong value fails that run with the reason, never the whole site.
DIXIAN_SPARK = {
    name: env(f"DIXIAN_SPARK_{name}")
    for name in (
        "MASTER",
        "REMOTE",
        "DRIVER_MEMORY",
        "EXECUTOR_MEMORY",
        "SHUFFLE_PARTITIONS",
        "START_TIMEOUT",
        "STAGING_DIR",
        "CONF",
    )
}

# docs/security.md §7. DIXIAN_SECURE_COOKIES=1 means "served over HTTPS only": cookies are sent only over
# HTTPS, plain-HTTP requests are redirected, and browsers are told (HSTS) to use nothing but HTTPS.
SECURE_COOKIES = env_bool("DIXIAN_SECURE_COOKIES", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = True  # pages send the token from the form or the hx-headers, never read the cookie
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(env("DIXIAN_SESSION_SECONDS", str(8 * 3600)))
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = SECURE_COOKIES
SECURE_HSTS_SECONDS = int(env("DIXIAN_HSTS_SECONDS", str(365 * 24 * 3600))) if SECURE_COOKIES else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_COOKIES
# Preloading binds the whole registrable domain (often the government's own) to HTTPS in every browser and
# is slow to undo: a decision for the domain's owner, so off unless asked for; its check is silenced below.
SECURE_HSTS_PRELOAD = SECURE_COOKIES and env_bool("DIXIAN_HSTS_PRELOAD", False)
# Trust X-Forwarded-Proto only behind a reverse proxy that sets it on every request (overwriting what the
# client sent); otherwise a client could claim HTTPS over plain HTTP.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DIXIAN_PROXY_SSL_HEADER", False) else None
)
SILENCED_SYSTEM_CHECKS = ["security.W021"]  # HSTS preload: see SECURE_HSTS_PRELOAD above

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
# SECRET_KEY). Behind a reverse proxy set DIXIAN_CLIENT_IP_HEADER (e.g. HTTP_X_FORWARDED_FOR) to the header
# it sets: its rightmost entry, the one the proxy appended, is the client (docs/security.md §7);
# DIXIAN_PUBLIC_BASE_URL (e.g. https://dixian.example.gov.cn) is the address printed in QR codes.
DIXIAN_DECLARE_PER_IP_HOUR = int(env("DIXIAN_DECLARE_PER_IP_HOUR", "5"))
DIXIAN_DECLARE_PER_ID_DAY = int(env("DIXIAN_DECLARE_PER_ID_DAY", "3"))
DIXIAN_LOOKUPS_PER_IP_HOUR = int(env("DIXIAN_LOOKUPS_PER_IP_HOUR", "20"))
# Bot checks drawn per IP address per hour (each form shown, each 换一张); images up to three times that.
# A wrong answer counts as one of the DIXIAN_DECLARE_PER_IP_HOUR declarations (docs/security.md §7).
DIXIAN_CAPTCHAS_PER_IP_HOUR = int(env("DIXIAN_CAPTCHAS_PER_IP_HOUR", "30"))
DIXIAN_RATE_LIMIT_SALT = env("DIXIAN_RATE_LIMIT_SALT", "")
DIXIAN_CLIENT_IP_HEADER = env("DIXIAN_CLIENT_IP_HEADER", "REMOTE_ADDR")
DIXIAN_PUBLIC_BASE_URL = env("DIXIAN_PUBLIC_BASE_URL", "").rstrip("/")
# The objection channel printed on every notice (村内公示, 公告: docs/domain.md §20), e.g. a county's own line.
DIXIAN_NOTICE_CONTACT = env("DIXIAN_NOTICE_CONTACT", "防止返贫监测帮扶热线 12317")
# The offline bot check (django-simple-captcha): a small sum drawn locally with Pillow and its bundled font;
# the answer is digits, typed on a phone's number pad. Long enough to fill in the form slowly.
CAPTCHA_CHALLENGE_FUNCT = "captcha.helpers.math_challenge"
CAPTCHA_MATH_CHALLENGE_OPERATOR = "×"
CAPTCHA_TIMEOUT = int(env("DIXIAN_CAPTCHA_MINUTES", "30"))
CAPTCHA_FONT_SIZE = 30
CAPTCHA_IMAGE_SIZE = (150, 50)

# Sign-in (docs/security.md §6). Failed logins are counted per account name (whether or not the account
# exists) and per IP address; past the limit, logins are refused until the oldest counted failure leaves the
# window. A successful login clears the account's count (not the address's).
DIXIAN_LOGIN_FAILURES_PER_ACCOUNT = int(env("DIXIAN_LOGIN_FAILURES_PER_ACCOUNT", "5"))
DIXIAN_LOGIN_ACCOUNT_WINDOW_MINUTES = int(env("DIXIAN_LOGIN_ACCOUNT_WINDOW_MINUTES", "15"))
DIXIAN_LOGIN_FAILURES_PER_IP_HOUR = int(env("DIXIAN_LOGIN_FAILURES_PER_IP_HOUR", "30"))
# 1: an account with the personal-data right must set up its second factor (TOTP) before any page opens.
DIXIAN_REQUIRE_TOTP_FOR_PII = env_bool("DIXIAN_REQUIRE_TOTP_FOR_PII", False)
OTP_TOTP_ISSUER = env("DIXIAN_TOTP_ISSUER", "底线监测预警平台")
# The admin hides TOTP keys and QR codes: a second factor is set up by its owner only.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Pushes per API token and hour (docs/security.md §3); 0 turns the limit off.
DIXIAN_API_PUSHES_PER_TOKEN_HOUR = int(env("DIXIAN_API_PUSHES_PER_TOKEN_HOUR", "120"))
