"""Project settings, read from the environment (docs/operations.md lists every variable).

Defaults serve a laptop: SQLite file, DEBUG off unless asked, a development-only
secret key. Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY,
ALLOWED_HOSTS and friends.
"""

import secrets
from pathlib import Path

import dj_database_url
import dj_email_url

from tracker.project.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parents[2]


def development_secret_key() -> str:
    """A random key kept in a git-ignored file, so logins survive restarts on a laptop."""
    path = BASE_DIR / ".secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or development_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

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
    "customers",
    "tracker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

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
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
