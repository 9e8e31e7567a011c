"""One settings module, read from the environment.

DATABASE_URL   default: SQLite in ./var/luoshi.sqlite3 (WAL)
SECRET_KEY     default: generated once and kept in ./var/secret_key (demo and development)
DEBUG          "1" turns it on; off by default (and always off in the demo)
DEMO           "1": the demo's settings (`make demo`; `luoshi demo` sets it itself), see below
ALLOWED_HOSTS  comma separated; default localhost names
MEDIA_ROOT     evidence files; default ./var/media
STORAGE_S3_*   evidence files on an S3-compatible store instead (see below and the README)
LUOSHI_VAR     the folder for the files above; default ./var
"""

import ipaddress
import os
import secrets
from pathlib import Path

import dj_database_url
from django.contrib.messages import constants as message_levels
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LUOSHI_VAR", Path.cwd() / "var")).resolve()


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# The demo (`make demo`, `luoshi demo`) never shows Django's debug pages: its errors are the
# product's own Chinese pages. It keeps its conveniences: cookies over plain HTTP on 127.0.0.1,
# static files straight from the app and npm folders (WhiteNoise), unmarked writes logged, and
# a task worker beside the web server (TASKS_BACKEND=db, started by `luoshi demo`).
DEMO = _env_bool("DEMO")
DEBUG = _env_bool("DEBUG") and not DEMO
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "luoshi.core",
    "luoshi.orgs",
    "luoshi.accounts",
    "luoshi.campaigns",
    "luoshi.rectification",
    "luoshi.ledger_io",
    "luoshi.study",
    "luoshi.research",
    "luoshi.dashboards",
    "luoshi.opinions",
    "luoshi.supervision",
    "luoshi.programmes",
    "luoshi.weakorgs",
    "luoshi.assessment",
    "luoshi.registers",
    "luoshi.search",
    "luoshi.guidance",
    "luoshi.monthly",
    "luoshi.demo",  # the seed and demo commands: above every other app
]

MIDDLEWARE = [
    "luoshi.core.middleware.RequestIdMiddleware",
    "luoshi.core.middleware.CheckMarksMiddleware",
    "luoshi.core.middleware.LimitBodyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "luoshi.core.middleware.RefuseNulMiddleware",
    "luoshi.core.middleware.BadParameterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "luoshi.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "luoshi.urls"
WSGI_APPLICATION = "luoshi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "luoshi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "luoshi.core.context_processors.navigation",
                "luoshi.supervision.context_processors.inbox",
            ],
        },
    },
]

# Flashed messages use Tabler's alert classes (alert-<tag>); Tabler has no alert-error.
MESSAGE_TAGS = {message_levels.DEBUG: "secondary", message_levels.ERROR: "danger"}

# --- database ------------------------------------------------------------------------------
_default_sqlite = f"sqlite:///{VAR_DIR / 'luoshi.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_sqlite))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # Writers queue instead of failing with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;"
        ),
    }
    # A file per test process: the concurrency tests need real SQLite locking, and two runs
    # side by side must not share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    # Persistent connections: a new one costs PostgreSQL a process and the worker a few ms of
    # CPU on every request. (dj_database_url.parse writes CONN_MAX_AGE=0 into the dict itself,
    # so a setdefault here never applied.)
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", 60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) make the dashboards' counts index-only scans on PostgreSQL; SQLite
# builds the same indexes without the included columns, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- accounts ------------------------------------------------------------------------------
# Django's model backend, with the signed-in user and their assignments cached per version of the
# account where the cache is shared (accounts/backends.py).
AUTHENTICATION_BACKENDS = ["luoshi.accounts.backends.AccountBackend"]
# How long a signed-in user is kept in the shared cache at most (a change of the account ends it
# at once anyway): minutes, so that whatever went around the signals is not served for hours.
ACCOUNT_CACHE_SECONDS = int(os.environ.get("ACCOUNT_CACHE_SECONDS", 300))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
if not DEBUG:
    SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", not DEMO)
    CSRF_COOKIE_SECURE = _env_bool("SECURE_COOKIES", not DEMO)
# A refused CSRF check is a 403 page in Chinese that says what to do, not Django's English one.
CSRF_FAILURE_VIEW = "luoshi.core.views.csrf_failure"
# Behind TLS in production: HTTPS_ONLY=1 redirects HTTP and sends HSTS (the demo leaves it off).
if _env_bool("HTTPS_ONLY"):
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = _env_bool("HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# API tokens run out after this many days unless issued for another span (`luoshi token --days`).
API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", 90))

# The TLS proxies in front (comma separated addresses or networks, e.g. 127.0.0.1,10.0.0.0/8):
# from them the client's address is the right-most untrusted X-Forwarded-For entry
# (core/clients.py); from anyone else the header is ignored. Empty: REMOTE_ADDR is the client.
TRUSTED_PROXIES = _env_list("TRUSTED_PROXIES", "")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an address") from None

# Login throttling (accounts/forms.py), read from the audit log: after LOGIN_FAILURE_LIMIT failed
# logins of one account from one address (since its last success there, within a day) that pair
# waits 2^failures seconds after its last failure, at most LOGIN_MAX_DELAY_SECONDS. Four times as
# many failures within the window for one account (from anywhere) or from one address slow new
# pairs too, by at most LOGIN_SHARED_MAX_DELAY_SECONDS; an address where the account signed in
# before is never slowed by what others do.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", 5))
LOGIN_FAILURE_WINDOW_MINUTES = int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", 15))
LOGIN_MAX_DELAY_SECONDS = int(os.environ.get("LOGIN_MAX_DELAY_SECONDS", 900))
LOGIN_SHARED_MAX_DELAY_SECONDS = int(os.environ.get("LOGIN_SHARED_MAX_DELAY_SECONDS", 120))

# Who sees the name and contact of an opinion's sender (roles over the receiving organisation,
# comma separated): the form promises they are only used to call back (accounts/permissions.py).
OPINION_SENDER_ROLES = _env_list("OPINION_SENDER_ROLES", "office,admin")

# The depth of the organisations whose tallies count their whole subtree (core/tallies.py):
# 2 is a province's counties (a city's townships); nodes below it count their rows directly.
LUOSHI_TALLY_DEPTH = int(os.environ.get("LUOSHI_TALLY_DEPTH", 2))

# --- language, time ------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- files ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
_npm = BASE_DIR / "node_modules"
# Front-end packages come from npm (package.json); served straight from node_modules.
STATICFILES_DIRS = [
    # Tabler's css/js/img only: its libs/ folder names source maps it does not ship, which
    # the hashed (manifest) storage refuses at collectstatic.
    ("vendor/tabler/css", _npm / "@tabler" / "core" / "dist" / "css"),
    ("vendor/tabler/js", _npm / "@tabler" / "core" / "dist" / "js"),
    ("vendor/tabler/img", _npm / "@tabler" / "core" / "dist" / "img"),
    ("vendor/htmx", _npm / "htmx.org" / "dist"),
    ("vendor/echarts", _npm / "echarts" / "dist"),
]
STATICFILES_DIRS = [BASE_DIR / "luoshi" / "static"] + [
    (prefix, path) for prefix, path in STATICFILES_DIRS if path.exists()
]
# Hashed, compressed static files after `luoshi collectstatic` in production (STATIC_MANIFEST=1,
# set by scripts/production.sh); straight from the app and npm folders otherwise (demo, tests).
_manifest = _env_bool("STATIC_MANIFEST")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "luoshi.core.staticfiles.ManifestStorage"
        if _manifest
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Django's finders, with the npm folders' package.json, READMEs and source maps left out.
STATICFILES_FINDERS = [
    "luoshi.core.staticfiles.StaticFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# --- request bodies ------------------------------------------------------------------------------
# Judged by their declared length before any byte is read (core.middleware.LimitBodyMiddleware,
# 413): MAX_REQUEST_MB for any request, and a view's own limit where it is smaller (the ledger
# import: its file limit). The TLS proxy in front sets the same (nginx: client_max_body_size),
# and gunicorn bounds the request line and headers (scripts/production.sh).
LUOSHI_MAX_REQUEST_BYTES = int(os.environ.get("MAX_REQUEST_MB", "64")) * 2**20
# An uploaded workbook's size once inflated (ledger_io.workbook): 50 MB by default; raise it to
# re-import our own exports of more than about 45,000 rows (1.1 kB of sheet XML a row).
LUOSHI_MAX_IMPORT_UNPACKED_BYTES = int(os.environ.get("MAX_IMPORT_UNPACKED_MB", "50")) * 2**20
# Form fields (and a non-form body, e.g. the API's JSON) held in memory at most; files above
# FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file while the request lasts.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 100
# Evidence files on any S3-compatible store (AWS, MinIO, Ceph, OSS, COS...) when a bucket is
# named; private objects, served only through the scoped download view.
if _bucket := os.environ.get("STORAGE_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _bucket,
            "endpoint_url": os.environ.get("STORAGE_S3_ENDPOINT") or None,
            "access_key": os.environ.get("STORAGE_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("STORAGE_S3_SECRET_KEY") or None,
            "region_name": os.environ.get("STORAGE_S3_REGION") or None,
            "location": os.environ.get("STORAGE_S3_PREFIX", ""),
            "addressing_style": os.environ.get("STORAGE_S3_ADDRESSING", "path"),
            "default_acl": None,
            "file_overwrite": False,
        },
    }

# --- background work -------------------------------------------------------------------------
# TASKS_BACKEND=immediate (default: the tests run tasks in the request), db (the demo's default:
# tasks wait in the database for `luoshi db_worker`, which `luoshi demo` starts beside the web
# server; one server) or rq (RQ on Redis at REDIS_URL; run `luoshi rqworker default --job-class
# django_tasks_rq.Job`; several workers).
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "db" if DEMO else "immediate")
# A report job running with no progress told for this long has lost its worker: shown as
# 失败（处理中断） with 重新生成 (dashboards.models.ReportJobQuerySet.stale). A report tells its
# progress every few seconds, even the city's; a minute of silence is already not normal.
REPORT_STALE_MINUTES = int(os.environ.get("REPORT_STALE_MINUTES", 10))
if TASKS_BACKEND == "rq":
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    # The address space an import's work-horse process may add (ledger_io.tasks._cap_memory).
    LUOSHI_IMPORT_MEMORY_MB = int(os.environ.get("IMPORT_MEMORY_MB", "1024"))
    # Only where tasks go to RQ: importing redis and rq is a fifth of every command's start-up.
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
elif TASKS_BACKEND == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

# --- reminders: the daily digest by e-mail and to a work messaging app ---------------------
# EMAIL_HOST (empty: no e-mail is sent), EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD,
# EMAIL_USE_TLS / EMAIL_USE_SSL, EMAIL_TIMEOUT, DEFAULT_FROM_EMAIL: Django's SMTP backend.
# WEBHOOK_URL (empty: none): each digest is POSTed there as JSON (企业微信 / 钉钉 robot shape).
# REMINDER_HOUR: the hour (local time) at which `luoshi sweep-reminders --loop` queues the sweep.
# Django 6.1's MAILERS (the EMAIL_* settings of older Django are deprecated); the tests swap
# every mailer for the in-memory one.
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": os.environ.get("EMAIL_HOST", "") or "localhost",
            "port": int(os.environ.get("EMAIL_PORT", "25")),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": _env_bool("EMAIL_USE_TLS"),
            "use_ssl": _env_bool("EMAIL_USE_SSL"),
            "timeout": int(os.environ.get("EMAIL_TIMEOUT", "20")),
        },
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "luoshi@localhost")
# Digests go by e-mail only where a mail server is configured (EMAIL_DIGESTS=0 turns them off).
LUOSHI_EMAIL_DIGESTS = bool(os.environ.get("EMAIL_HOST")) and _env_bool("EMAIL_DIGESTS", True)
WEBHOOK_URL = os.environ.get("WEBHOOK_URL", "")
WEBHOOK_TIMEOUT = int(os.environ.get("WEBHOOK_TIMEOUT", "10"))
REMINDER_HOUR = int(os.environ.get("REMINDER_HOUR", "7"))

# --- cache (rate limits, sessions, the dashboards' figures) -----------------------------------
# CACHE_BACKEND=redis shares the cache between web workers (production); the default keeps it in
# each process's memory, which is enough for the demo and the tests (one process each). Several
# processes on a per-process cache would count rate limits apart and could serve a dashboard's
# figures cached before another process's write: run them on Redis.
if os.environ.get("CACHE_BACKEND", "locmem") == "redis":
    CACHES = {"default": {"BACKEND": "luoshi.core.cache.RedisCache", "LOCATION": REDIS_URL}}
    # Sessions read from the shared cache (written through to the database): one query less
    # on every page. Only with a shared cache: a per-process one would keep a session alive in
    # one worker after logging out through another.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The dashboards' rendered figures, cached per version of the subtree (core/versions.py): only on
# a cache every process shares, where a write made by any process (a command-line import too)
# marks what it changed for all of them.
LUOSHI_FIGURES_CACHE = _env_bool(
    "FIGURES_CACHE", os.environ.get("CACHE_BACKEND", "locmem") == "redis"
)
# A request that writes a table what is cached reads without marking its version is an error
# ("raise": the tests) or logged ("log": DEBUG); off in production (core.versions.checking_marks).
LUOSHI_CHECK_MARKS = "log" if DEBUG or DEMO else ""

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "luoshi.core.middleware.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
