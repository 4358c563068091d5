"""Settings for the CCHC portal: one module, everything from the environment.

Development (`DJANGO_DEBUG=1`, what `make run` and `make test` export) works with no other
variable. Production (the default) refuses to start without its secrets; see README.md,
"Cấu hình", for every variable.
"""

import importlib.util
import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
# A development checkout gets a git-ignored .env from scripts/setup (DJANGO_DEBUG=1), so that
# plain `manage.py …` works there. It is read only when the environment says nothing about the
# mode: a server exports DJANGO_SECRET_KEY (production refuses to start without it), so the
# production settings never read a .env, even one left in a checkout. `check --deploy` fails
# when DEBUG is on, wherever it came from (cchc_portal/checks.py).
ENV_FILE = BASE_DIR / ".env"
ENV_FILE_READ = ENV_FILE.is_file() and not {"DJANGO_SECRET_KEY", "DJANGO_DEBUG"} & env.ENVIRON.keys()
if ENV_FILE_READ:
    environ.Env.read_env(ENV_FILE)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# Writable state of a development install (SQLite database, uploads); production points the
# two storage variables below somewhere durable.
VAR_DIR = Path(env("CCHC_VAR_DIR", default=str(BASE_DIR / "var")))


def _required(name: str, dev_default: str) -> str:
    """A production secret: development gets a fixed placeholder, production must set it."""
    value = env(name, default="")
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(
        f"{name} chưa được đặt. Biến môi trường này bắt buộc khi chạy production "
        f"(DJANGO_DEBUG không bật). / {name} must be set in production."
    )


SECRET_KEY = _required("DJANGO_SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production-0123456789")
# Encrypts signing keys at rest (a Fernet key: 32 random bytes, url-safe base64; generate with
# `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`).
CCHC_SIGNING_KEY = _required("CCHC_SIGNING_KEY", "ZGV2LW9ubHktc2lnbmluZy1rZXktMzItYnl0ZXMhISE=")
# RFC 3161 time-stamping authority that signatures made on the server are time-stamped by (PAdES
# B-T); empty: no time-stamp. `make run` points it at the DEMO PKI's TSA.
CCHC_TSA_URL = env("CCHC_TSA_URL", default="")
# Seconds to wait for the TSA, an OCSP responder or a CRL server, per request.
CCHC_PKI_TIMEOUT = env.float("CCHC_PKI_TIMEOUT", default=10.0)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS chưa được đặt (ví dụ: cchc.example.gov.vn).")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "treebeard",
    "simple_history",
    "axes",
    "django_htmx",
    "django_ratelimit",
    "import_export",
    "cchc_portal",
    "units",
    "documents",
    "plans",
    "reports",
    "procedures",
]
# Demo data, the DEMO PKI and the national benchmark dataset live in `demo/`, which a checkout
# has and the production package leaves out (pyproject.toml); its commands refuse to run
# unless DEBUG is on.
if importlib.util.find_spec("demo") is not None:
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "units.access.AccessMiddleware",
    # A control character in the URL (NUL: PostgreSQL refuses it) is a 400, never a 500.
    "cchc_portal.lib.bounds.RejectControlCharacters",
    # Turns django-ratelimit's refusal into the Vietnamese 429 page (RATELIMIT_VIEW).
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Axes last: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cchc_portal.urls"
WSGI_APPLICATION = "cchc_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # formatting: the |number and |percent filters (Vietnamese "3.000", "12,5%").
            "builtins": [
                "django.templatetags.i18n",
                "django.templatetags.static",
                "cchc_portal.templatetags.formatting",
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "units.access.access_context",
            ],
        },
    },
]


def _database(url_variable: str, default: str | None = None) -> dict:
    """One database from its URL, with the options the portal runs it with."""
    database = env.db(url_variable, default=default)
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # WAL and IMMEDIATE transactions let the dev server and the browser tests' live server
        # write from several threads without "database is locked".
        database.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
    else:
        database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
        database["CONN_HEALTH_CHECKS"] = True
        # The planner's cost of a random page read: PostgreSQL's default (4) is for spinning
        # disks and makes it scan half a million target results instead of using the index for a
        # province's 7,000 (docs/performance.md); 1.1 is the usual value for SSD storage.
        page_cost = env.float("DATABASE_RANDOM_PAGE_COST", default=1.1)
        options = database.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c random_page_cost={page_cost}".strip()
    return database


DATABASES = {"default": _database("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'cchc.sqlite3'}")}
# A streaming replica of the primary (docs/deployment.md). Nothing reads from it unless the
# code asks with `cchc_portal.db_routers.use_replica()`; without the variable that is a no-op.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = _database("DATABASE_REPLICA_URL")
    # Tests get no database of their own for it: there the replica is the primary.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["cchc_portal.db_routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "units.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "cchc_portal.lib.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "cchc_portal.lib.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "cchc_portal.lib.passwords.CommonPasswordValidator"},
    {"NAME": "cchc_portal.lib.passwords.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes, cchc_portal/lib/throttling.py): a username from one address is
# locked for a while after AXES_FAILURE_LIMIT failures, and an address, whatever the usernames,
# after AXES_ADDRESS_FAILURE_LIMIT, so passwords cannot be guessed online, one account or many.
# The address is the client's as cchc_portal/lib/clients.py reads it (a forged X-Forwarded-For
# counts for nothing); docs/deployment.md, *Login throttling*, weighs the trade-off.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
CCHC_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "cchc_portal.lib.throttling.LoginThrottle"
AXES_CLIENT_IP_CALLABLE = "cchc_portal.lib.clients.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# One cache URL, e.g. redis://10.0.0.5:6379/1 (Django's own Redis backend, needs `redis`) or
# dbcache://cchc_cache (after `manage.py createcachetable`). The default, a per-process memory
# cache, is what Django uses when nothing is set.
_CACHE_URL = env("CACHE_URL", default="") or "locmemcache://"
CACHES = {
    "default": env.cache_url_config(
        _CACHE_URL,
        # django-environ would pick django-redis instead if it happened to be installed.
        backend="django.core.cache.backends.redis.RedisCache"
        if _CACHE_URL.startswith(("redis://", "rediss://"))
        else None,
    )
}
# django-environ lower-cases ?key_prefix=…&timeout=… for Django's Redis backend, which then
# ignores them without a word; put them back under the names Django reads.
for _option in ("TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION"):
    if _option.lower() in CACHES["default"]:
        CACHES["default"][_option] = CACHES["default"].pop(_option.lower())
_PER_PROCESS_CACHES = (".locmem.LocMemCache", ".dummy.DummyCache")

# Sessions live in the database (`db`), or in the cache (`cache`: lost when the cache is
# flushed), or in both (`cached_db`: read from the cache, written through to the database).
_SESSION_ENGINES = {
    "db": "django.contrib.sessions.backends.db",
    "cache": "django.contrib.sessions.backends.cache",
    "cached_db": "django.contrib.sessions.backends.cached_db",
}
_session_engine = env("DJANGO_SESSION_ENGINE", default="") or "db"
if _session_engine not in _SESSION_ENGINES:
    raise ImproperlyConfigured(
        f"DJANGO_SESSION_ENGINE={_session_engine!r} không hợp lệ / is not one of {', '.join(_SESSION_ENGINES)}."
    )
if _session_engine != "db" and CACHES["default"]["BACKEND"].endswith(_PER_PROCESS_CACHES):
    # Each gunicorn worker would hold its own sessions: logins would come and go at random.
    raise ImproperlyConfigured(
        f"DJANGO_SESSION_ENGINE={_session_engine} cần một bộ nhớ đệm dùng chung / needs a shared "
        "CACHE_URL (redis://… or dbcache://…), not a per-process cache."
    )
SESSION_ENGINE = _SESSION_ENGINES[_session_engine]
# Sessions end after a working day of inactivity and when the browser closes (shared PCs).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = False

# Vietnamese for everyone: no LocaleMiddleware, so a browser set to English still gets
# Vietnamese text and dates (24/03/2022). An English catalogue can be added later.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["cchc_portal.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]


def _media_storage() -> dict:
    """Where uploads live: CCHC_MEDIA_ROOT on this server, or an S3 bucket shared by every node."""
    kind = env("CCHC_MEDIA_STORAGE", default="") or "filesystem"
    if kind == "filesystem":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != "s3":
        raise ImproperlyConfigured(f"CCHC_MEDIA_STORAGE={kind!r} không hợp lệ / must be filesystem or s3.")
    # Looked up, not imported: boto3 is heavy and only S3 installs carry it.
    missing = [name for name in ("storages", "boto3") if importlib.util.find_spec(name) is None]
    if missing:
        raise ImproperlyConfigured(
            f"CCHC_MEDIA_STORAGE=s3 cần gói {' và '.join(missing)} / needs django-storages and boto3: "
            "pip install 'cchc-portal[s3]'."
        )
    if not env("CCHC_S3_BUCKET", default=""):
        raise ImproperlyConfigured("CCHC_S3_BUCKET chưa được đặt / must be set when CCHC_MEDIA_STORAGE=s3.")
    options = {
        "bucket_name": env("CCHC_S3_BUCKET"),
        "endpoint_url": env("CCHC_S3_ENDPOINT_URL", default="") or None,
        "access_key": env("CCHC_S3_ACCESS_KEY", default="") or None,
        "secret_key": env("CCHC_S3_SECRET_KEY", default="") or None,
        "region_name": env("CCHC_S3_REGION", default="") or None,
        # `path` for S3-compatible stores (MinIO, Ceph) not set up for bucket host names.
        "addressing_style": env("CCHC_S3_ADDRESSING_STYLE", default="") or None,
        # Evidence and signed documents are private: no public ACL, signed URLs only, and a
        # second upload of the same name gets a new name as on the file system.
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {key: value for key, value in options.items() if value is not None},
    }


STORAGES = {
    "default": _media_storage(),
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Development serves static files straight from the app directories; production from
# STATIC_ROOT after `collectstatic`, with hashed names and compression.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Uploaded files are private: never under STATIC_ROOT, never served directly by the web server;
# views check scope and stream them.
MEDIA_ROOT = Path(env("CCHC_MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Largest unit list accepted by the importer (the real 2025 list is under 1 MB).
UNIT_IMPORT_MAX_BYTES = env.int("UNIT_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
# Largest signed PDF accepted (upload after signing, public verification).
SIGNED_PDF_MAX_BYTES = env.int("SIGNED_PDF_MAX_BYTES", default=20 * 1024 * 1024)
# Revocation checks of signatures (documents/verification.py): query the CAs' OCSP responders and
# CRLs over the network (the file's own embedded data is always used), each request bounded by
# CCHC_PKI_TIMEOUT.
# The portal's public address, printed on every signed document beside its verification code
# ("… tra cứu tại https://cchc.example.gov.vn/xac-minh/"); empty: the path only.
CCHC_PUBLIC_URL = env("CCHC_PUBLIC_URL", default="")
# The public verification pages (upload, code, lookup by number) per client address: enough for a
# person checking documents, not for enumerating the register. The counters live in the default
# cache: per process with the built-in memory cache (each gunicorn worker counts apart, so the
# effective limit is workers × rate), shared with CACHE_URL (Redis) when scaled out.
VERIFY_RATE = env("CCHC_VERIFY_RATE", default="30/m")
RATELIMIT_VIEW = "cchc_portal.views.too_many_requests"
SILENCED_SYSTEM_CHECKS = [
    # django-ratelimit wants memcached/django-redis; Django's own memory and Redis caches do the
    # counting here (see VERIFY_RATE for what a per-process memory cache means).
    "django_ratelimit.E003",
    "django_ratelimit.W001",
]
CCHC_REVOCATION_FETCH = env.bool("CCHC_REVOCATION_FETCH", default=True)
# Largest task spreadsheet accepted (a plan's task table is a few hundred kB at most).
TASK_IMPORT_MAX_BYTES = env.int("TASK_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
# Largest procedure catalogue file accepted (a whole ministry's export is well under 1 MB).
PROCEDURE_IMPORT_MAX_BYTES = env.int("PROCEDURE_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# Evidence files attached to progress entries (photos, PDF, Office documents).
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
# The budget of one PDF render (cchc_portal/lib/documents.py): HTML longer than this is refused
# before layout (a long plan of 200 tasks is about 150,000 characters), and a layout still running
# after CCHC_RENDER_TIMEOUT seconds is stopped, well within gunicorn's --timeout 60; either way the
# user is told which part is too long. 0 seconds: lay out inside the worker, without a time bound.
CCHC_RENDER_MAX_CHARS = env.int("CCHC_RENDER_MAX_CHARS", default=1_000_000)
CCHC_RENDER_TIMEOUT = env.float("CCHC_RENDER_TIMEOUT", default=20.0)
# Import files awaiting confirmation (media/imports/) and other leftovers are removed by
# `manage.py cleanup` once older than this many hours.
CCHC_TEMPORARY_FILE_HOURS = env.int("CCHC_TEMPORARY_FILE_HOURS", default=24)
# Days after a report's deadline during which a late report is still accepted (marked late);
# after that the period is closed for the unit until a reviewer reopens it.
REPORT_LATE_DAYS = env.int("REPORT_LATE_DAYS", default=30)

# --- Security ---------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=not DEBUG)
# The client address every per-client limit uses (cchc_portal/lib/clients.py). Without a proxy it
# is REMOTE_ADDR and X-Forwarded-For is ignored. Behind one, the client is the address the proxies
# appended to X-Forwarded-For, not REMOTE_ADDR (which would be the proxy, so one stranger's
# guesses would lock everybody out), but only on requests whose REMOTE_ADDR is a trusted proxy
# (DJANGO_TRUSTED_PROXIES, addresses or networks; by default nginx on this host).
# DJANGO_TRUSTED_PROXY_COUNT is how many proxies stand in front (nginx alone: 1; a load balancer
# then nginx: 2); each appends the address it received from, so the client is that many entries
# from the right, and what a client writes into the header itself is ignored.
CCHC_TRUSTED_PROXIES: list[str] = []
CCHC_TRUSTED_PROXY_COUNT = 0
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CCHC_TRUSTED_PROXIES = env.list("DJANGO_TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
    CCHC_TRUSTED_PROXY_COUNT = max(0, env.int("DJANGO_TRUSTED_PROXY_COUNT", default=1))
    for _proxy in CCHC_TRUSTED_PROXIES:
        try:
            ipaddress.ip_network(_proxy, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"DJANGO_TRUSTED_PROXIES: “{_proxy}” không phải địa chỉ hay dải địa chỉ IP / is not an IP address or network."
            ) from None
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (Django's built-in middleware): no inline or third-party script.
# Inline style attributes stay allowed because the Django admin still uses a few.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Outgoing mail (reminders, notices) from one URL, e.g. smtp+tls://user:pass@mail.example.gov.vn:587.
# Required in production: reminders must really go out.
_email = environ.Env.email_url_config(_required("EMAIL_URL", "consolemail://"))
_email_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS"),
    "use_ssl": _email.get("EMAIL_USE_SSL"),
    "file_path": _email.get("EMAIL_FILE_PATH"),
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {key: value for key, value in _email_options.items() if value not in (None, "")}
        if _email["EMAIL_BACKEND"].endswith((".smtp.EmailBackend", ".filebased.EmailBackend"))
        else {},
    }
}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="cchc-portal@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Audit trail (django-simple-history): the history is evidence, so nobody reverts through it.
SIMPLE_HISTORY_REVERT_DISABLED = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # pyHanko's fetchers log every OCSP/CRL request at INFO; failures still come through.
        "pyhanko_certvalidator": {"level": "WARNING"},
    },
}
