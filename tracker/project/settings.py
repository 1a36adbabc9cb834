"""Project settings, read from the environment (docs/operations.md lists every variable).

Defaults serve a laptop: SQLite file, DEBUG off unless asked, a development-only
secret key. Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY,
ALLOWED_HOSTS and friends.
"""

import datetime as dt
import secrets
from pathlib import Path

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from tracker.project.env import env_bool, env_choice, env_float, env_int, env_list, env_str, env_time_zone

BASE_DIR = Path(__file__).resolve().parents[2]


def development_secret_key() -> str:
    """A random key kept in a git-ignored file, so logins survive restarts on a laptop."""
    path = BASE_DIR / ".secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        # A key made up on the spot would sign sessions and reset links nobody else can check,
        # and a shared default one would let anyone forge them: production names its own.
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: production (DEBUG=false) needs one "
            "(e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(50))'); "
            "`make run` and `make test` set one for you."
        )
    SECRET_KEY = development_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# A friendly page in the site's layout for a form sent with an expired or missing token.
CSRF_FAILURE_VIEW = "tracker.views.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "django_celery_beat",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "axes",
    "csp",
    "auditlog",
    "customers",
    "tracker",
]

MIDDLEWARE = [
    # Request counts and latencies for /metrics (first and last, to time the whole stack).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before login: the browser's Accept-Language picks ja or en (LANGUAGES).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # After login: the user's own language and time zone (their profile) win.
    "customers.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "tracker.project.middleware.SessionAgeLimitMiddleware",
    "tracker.project.middleware.NoStoreForSignedInMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Last, as django-axes asks: it turns a lockout into the "account locked" page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "tracker.project.urls"

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
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
            ],
        },
    },
]

WSGI_APPLICATION = "tracker.project.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file in development. WAL: readers never wait for (or
    # fail on) a writer, such as a background import; writers take the lock at BEGIN (IMMEDIATE)
    # and wait up to 20 s for it instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# Query counts and latencies for /metrics: django-prometheus's wrapper of the same backend.
_PROMETHEUS_BACKENDS = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
DATABASES["default"]["ENGINE"] = _PROMETHEUS_BACKENDS.get(
    DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"]
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes checks the lockout before the password is even looked at.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

# Japanese first: the deployment's defaults; each user picks their own in their profile.
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LANGUAGE_CODE = env_choice("LANGUAGE_CODE", "ja", [code for code, _ in LANGUAGES])
TIME_ZONE = env_time_zone("TIME_ZONE", "Asia/Tokyo")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our date formats per language (tracker/project/formats/ja/formats.py: 2026年12月1日).
FORMAT_MODULE_PATH = ["tracker.project.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Security: production values unless DEBUG is on. HSTS is configurable because
# turning it on is a commitment for every host name under the domain.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# Load balancers and Prometheus ask the backend directly, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Sessions: an idle session ends after SESSION_IDLE_MINUTES (every request moves the
# expiry on), and any session after SESSION_MAX_HOURS however busy it was
# (tracker.project.middleware.SessionAgeLimitMiddleware).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_MAX_AGE = env_int("SESSION_MAX_HOURS", 10) * 3600

# Login lockout (django-axes): LOGIN_FAILURE_LIMIT wrong passwords for one user name from
# one address lock that pair for LOGIN_LOCKOUT_MINUTES (0: until ops unlock it). The pair,
# not the address alone: reps behind one office NAT must not lock each other out.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
_lockout_minutes = env_int("LOGIN_LOCKOUT_MINUTES", 60)
AXES_COOLOFF_TIME = dt.timedelta(minutes=_lockout_minutes) if _lockout_minutes > 0 else None
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # its start-up banner would mix into every command's output
# The address is the TCP peer's unless a trusted proxy in front says otherwise: a client
# must not dodge the lockout by sending its own X-Forwarded-For.
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if BEHIND_TLS_PROXY else ("REMOTE_ADDR",)
)
AXES_IPWARE_PROXY_COUNT = 1 if BEHIND_TLS_PROXY else None

# Content-Security-Policy (django-csp): scripts and styles from this site only, no inline
# scripts. Inline style *attributes* stay allowed: progress bars set their width there.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Cache for dashboard figures: per process by default; production points CACHE_URL
# at Redis so web processes and workers share one copy (e.g. redis://host:6379/1).
CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Email: console in development, EMAIL_URL (smtp://user:pass@host:port) in production.
_email = dj_email_url.parse(env_str("EMAIL_URL", "console:"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "retirement-tracker@localhost")
# Customer notices come from this address (a mailbox customers know); replies go to the customer's rep.
NOTICE_FROM_EMAIL = env_str("NOTICE_FROM_EMAIL", DEFAULT_FROM_EMAIL)
# Mails link back to the app: the address people open it at (scheme, host, port; no trailing slash).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Celery: Redis in production; `make run` picks a private Redis or Kombu's
# filesystem transport (see scripts/run.sh).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A task whose worker died unacked is delivered again after this long: keep it above
    # CELERY_TASK_TIME_LIMIT, or a slow chunk is handed to a second worker while it runs.
    _visibility = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _visibility}
    if _visibility < 60:  # tests: look for such tasks every second, not every 100 s
        CELERY_BROKER_TRANSPORT_OPTIONS |= {"unacked_restore_interval": 1, "unacked_restore_throttle": 1}
elif CELERY_BROKER_URL.startswith("filesystem://"):
    _queue = BASE_DIR / ".broker"
    for sub in ("in", "processed"):
        (_queue / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue / "in"),
        "data_folder_out": str(_queue / "in"),
        "processed_folder": str(_queue / "processed"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 1800)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 1700)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Starting a sweep asks the broker first: a broker that does not answer in this long is
# reported as unreachable (a clear error, nothing saved) instead of hanging the request.
CELERY_BROKER_CONNECTION_TIMEOUT = env_float("CELERY_BROKER_CONNECTION_TIMEOUT", 3.0)

# Sweep chunks: a worker renews its claim every SWEEP_HEARTBEAT_S seconds; a claim not renewed
# for SWEEP_CHUNK_LEASE_S belongs to a dead worker and the chunk is queued again by the beat job
# that runs every minute (tracker.resume_stalled_sweeps). A sweep with no worker signal for a
# lease is shown as stalled, with a Resume button and an alert.
SWEEP_HEARTBEAT_S = env_float("SWEEP_HEARTBEAT_S", 30.0)
SWEEP_CHUNK_LEASE_S = env_float("SWEEP_CHUNK_LEASE_S", 120.0)
# Customer imports of more rows than this run as a background job (progress on the import page).
IMPORT_BACKGROUND_ROWS = env_int("IMPORT_BACKGROUND_ROWS", 300)
DJANGO_CELERY_BEAT_TZ_AWARE = True

# DNS probing (the engine itself reads nothing from here: these are passed in).
DNS_NAMESERVERS = env_list("DNS_NAMESERVERS")
DNS_TIMEOUT = env_float("DNS_TIMEOUT", 2.0)
PROBE_CONCURRENCY = env_int("PROBE_CONCURRENCY", 200)
# MTA-STS policies are fetched over HTTPS and checked against the system's CAs, or this bundle
# (a private PKI; the tests' own CA). PROBE_HTTPS: other HttpsOptions fields (tracker/probe/https_get.py),
# set by tests (a loopback port), never by the environment.
MTA_STS_CA_FILE = env_str("MTA_STS_CA_FILE") or None
PROBE_HTTPS: dict = {}

# The REST API (tracker/api/, docs/api.md): tokens or the browser's session, the pages' access rules.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tracker.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tracker.api.permissions.TokenMayWrite"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "tracker.api.pagination.IdCursorPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Retirement tracker API",
    "DESCRIPTION": "Customers, domains, checks, follow-up tasks, campaigns and sweeps (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page from installed files (drf-spectacular-sidecar): no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to the public spec validator (Swagger UI's default): nothing leaves the intranet.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CustomerStatusEnum": "customers.choices.MigrationStatus",
        "VerdictEnum": "tracker.choices.Verdict",
        "TaskStatusEnum": "tracker.choices.TaskStatus",
        "SweepStatusEnum": "tracker.choices.SweepStatus",
        "AlertEventEnum": "tracker.choices.AlertEvent",
        "DeliveryStatusEnum": "tracker.choices.DeliveryStatus",
        "AlertChannelKindEnum": "tracker.choices.AlertChannelKind",
    },
}

# /metrics: open to API tokens, and to these client addresses without one (a Prometheus server;
# not loopback behind a proxy, where every client would look local).
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS")

# Alerts (tracker/services/alerts.py): retries of a failed delivery (delay doubles each time),
# and the days the legacy count may stand still before operations are told.
ALERT_MAX_RETRIES = env_int("ALERT_MAX_RETRIES", 5)
ALERT_RETRY_DELAY_S = env_int("ALERT_RETRY_DELAY_S", 60)
ALERT_STALLED_DAYS = env_int("ALERT_STALLED_DAYS", 7)
# Business days a customer has to change DNS after a rep marks a task done (a campaign may say otherwise).
TASK_EXPECTED_CHANGE_DAYS = env_int("TASK_EXPECTED_CHANGE_DAYS", 2)
# A change of a campaign's legacy definition that would turn more than this share of its legacy
# domains clean must be confirmed (settings page, admin, `campaign load --confirm-legacy-change`).
LEGACY_CHANGE_CONFIRM_SHARE = env_float("LEGACY_CHANGE_CONFIRM_SHARE", 0.10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
