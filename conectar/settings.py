"""The one settings module. Everything that differs between machines comes from the environment
(documented in `.env.example`); defaults are the safe production ones unless CONECTAR_ENV says
otherwise."""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from conectar.platform.databases import CONTEXT_DATABASES, database_settings
from conectar.platform.queues import eventbus_queue
from conectar.platform.topology import development_service_keys, topology_from

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()


class _EnvFile(environ.Env):
    ENVIRON = {}  # read_env parses the file into this dict, not into os.environ


# The checkout's git-ignored .env (scripts/bootstrap.sh writes make run's development settings there,
# and the database role it created where PostgreSQL asks for a password) fills in what the real
# environment leaves unset. A process of another environment than the file's, and every test
# process, takes only the machine's database addresses from it: tests never inherit a developer's
# settings, and a production start never runs on the development key.
if (BASE_DIR / ".env").is_file():
    _EnvFile.read_env(BASE_DIR / ".env")
    _running = os.environ.get("CONECTAR_ENV", _EnvFile.ENVIRON.get("CONECTAR_ENV", "production"))
    _whole_file = _running != "test" and _EnvFile.ENVIRON.get("CONECTAR_ENV", _running) == _running
    for _key, _value in _EnvFile.ENVIRON.items():
        if _whole_file or ("DATABASE" in _key and _key.endswith("_URL")):
            os.environ.setdefault(_key, _value)

CONECTAR_ENV = env.str("CONECTAR_ENV", default="production")
if CONECTAR_ENV not in {"production", "development", "test"}:
    raise ImproperlyConfigured("CONECTAR_ENV must be production, development or test")
PRODUCTION = CONECTAR_ENV == "production"

# --- Topology: which contexts run here, where the others answer (platform/topology.py) ------------
TOPOLOGY = topology_from(env.ENVIRON)
CONECTAR_SERVICE = TOPOLOGY.service  # "" = the gateway process (the monolith when nothing is lifted)
CONTEXTS_HERE = TOPOLOGY.here
REMOTE_CONTEXTS = TOPOLOGY.remote  # context -> base URL of the process serving it

DEBUG = env.bool("DEBUG", default=False)
if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")  # no default: production refuses to start without it
else:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-never-use-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["*"])

_FRAMEWORK_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "ninja",
    "corsheaders",
    "channels",
    "conectar.platform",
    "conectar.platform.eventbus",
]
_CONTEXT_APPS = [f"conectar.{ctx}" for ctx in CONTEXTS_HERE]
if TOPOLOGY.is_gateway:
    # The gateway process: staff's admin and sessions, the token blacklist of auth_ctx, and every
    # context it runs (all of them in the monolith).
    INSTALLED_APPS = [
        *_FRAMEWORK_APPS[:1],
        "django.contrib.admin",
        *_FRAMEWORK_APPS[1:3],
        "django.contrib.sessions",
        "django.contrib.messages",
        *_FRAMEWORK_APPS[3:],
        "rest_framework_simplejwt.token_blacklist",
        *_CONTEXT_APPS,
        "conectar.gateway",
    ]
else:
    # A context's own service: that context and the platform. No admin, no sessions: staff work
    # in the gateway's admin; people reach this service only through the gateway's routes.
    INSTALLED_APPS = [*_FRAMEWORK_APPS, *_CONTEXT_APPS]
# Development tooling (MercadoPago sandbox, demo data, simular-pago): production never imports it
# (tests/devtools/test_production_never_loads_devtools.py); conectar/urls.py mounts its routes.
if PRODUCTION:  # daphne's app only makes `runserver` ASGI; importing it loads Twisted (~40 MB a worker)
    INSTALLED_APPS.remove("daphne")
DEVTOOLS = CONECTAR_ENV in {"development", "test"} and TOPOLOGY.is_gateway
if DEVTOOLS:
    INSTALLED_APPS.append("conectar.devtools")

# Staff's admin (sessions, login, messages) lives in the gateway process only; there the session user
# and messages run for browser requests, not for API calls without a session cookie (platform/browser_state.py).
_SESSION_MIDDLEWARE = {
    "django.contrib.sessions.middleware.SessionMiddleware",
    "conectar.platform.browser_state.BrowserAuthenticationMiddleware",
    "conectar.platform.browser_state.BrowserMessageMiddleware",
}
MIDDLEWARE = [
    "conectar.platform.request_id.RequestIdMiddleware",
    "conectar.platform.metrics.middleware.MetricsMiddleware",  # times everything below, by route
    "django.middleware.security.SecurityMiddleware",
    "conectar.platform.security_headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "conectar.platform.ratelimit.RateLimitMiddleware",
    "conectar.platform.http_errors.BodyLimitMiddleware",
    "conectar.platform.request_input.RequestInputMiddleware",  # NUL, nesting, multipart boundary
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "conectar.platform.browser_state.BrowserAuthenticationMiddleware",
    "conectar.platform.browser_state.BrowserMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "conectar.platform.http_errors.ApiErrorBodyMiddleware",
]

if not TOPOLOGY.is_gateway:
    MIDDLEWARE = [m for m in MIDDLEWARE if m not in _SESSION_MIDDLEWARE]

# Debian 12 ships GDAL 3.6; we only ever build points from validated floats, never parse
# untrusted spatial references, so GDAL's file/network access guard (3.9+) is not needed.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

ROOT_URLCONF = "conectar.urls"
WSGI_APPLICATION = "conectar.wsgi.application"
ASGI_APPLICATION = "conectar.asgi.application"
# The account model lives in auth_ctx; a service that does not run it keeps Django's placeholder
# (no table, never used: its routes authenticate people through the accounts facade).
AUTH_USER_MODEL = "auth_ctx.Account" if "auth_ctx" in CONTEXTS_HERE else "auth.User"

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
            ]
        },
    }
]

# --- Databases: one per context (ARCHITECTURE.md § Databases) -----------------------------------
DATABASES = database_settings(
    server_url=env.str("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/conectar"),
    overrides={ctx: env.str(f"{ctx.upper()}_DATABASE_URL", default="") for ctx in CONTEXT_DATABASES},
    conn_max_age=env.int("DB_CONN_MAX_AGE", default=600),
    # The connection budget (ARCHITECTURE.md § Databases): at most DB_POOL_SIZE connections per
    # alias per process, whatever the server; 0 turns the pool off (per-thread connections).
    pool_size=env.int("DB_POOL_SIZE", default=1),
    pool_timeout=env.float("DB_POOL_TIMEOUT_SECONDS", default=10.0),
)
if not TOPOLOGY.is_gateway:
    # A context's service opens its own database and no other: another context's alias does not
    # exist here. Django insists on a `default`; unless it is this context's, it is the dummy one.
    DATABASES = {alias: DATABASES[alias] for alias in (CONTEXT_DATABASES[c] for c in CONTEXTS_HERE)}
    DATABASES.setdefault("default", {"ENGINE": "django.db.backends.dummy"})
# Behind a transaction pooler (PgBouncer, pool_mode=transaction; DB_TRANSACTION_POOLING=true) a
# server connection is lent for one transaction: no server-side cursors (`.iterator()` would keep
# one open across transactions). The outbox listener's LISTEN needs a session of its own, straight to
# the server: DATABASE_DIRECT_URL (and <CTX>_DATABASE_DIRECT_URL), named like DATABASE_URL's.
if env.bool("DB_TRANSACTION_POOLING", default=False):
    for _config in DATABASES.values():
        _config["DISABLE_SERVER_SIDE_CURSORS"] = True
DIRECT_DATABASES = (
    database_settings(
        server_url=env.str("DATABASE_DIRECT_URL"),
        overrides={ctx: env.str(f"{ctx.upper()}_DATABASE_DIRECT_URL", default="") for ctx in CONTEXT_DATABASES},
        conn_max_age=0,
    )
    if env.str("DATABASE_DIRECT_URL", default="")
    else {}  # no pooler: the listener connects as DATABASES say
)
DATABASE_ROUTERS = ["conectar.platform.databases.ContextRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, channels, Celery ---------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:  # in-process fallbacks for a machine without Redis; `make run` says so when it uses them
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):  # kombu's, surviving a lost broker (see the module)
    CELERY_BROKER_TRANSPORT = "conectar.platform.broker_transport:Transport"
CELERY_RESULT_BACKEND = None  # tasks report through the database, not result objects
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=not (REDIS_URL or env.str("CELERY_BROKER_URL", default=""))
)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves the message for another
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("CELERY_WORKER_PREFETCH_MULTIPLIER", default=4)
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / "var" / "celerybeat-schedule")
)

CELERY_TASK_ROUTES = ("conectar.platform.queues.route",)  # a queue per context (platform/queues.py)
CELERY_TASK_DEFAULT_QUEUE = "celery"

EVENTBUS_RELAY_INTERVAL_SECONDS = env.float("EVENTBUS_RELAY_INTERVAL_SECONDS", default=1.0)
CELERY_BEAT_SCHEDULE = {
    # Each outbox's safety net: relays what a missed nudge left (broker down at commit) and sends
    # again every delivery whose lease ran out unconfirmed (a lost message, a killed worker).
    **{
        f"eventbus-relay-{context}": {
            "task": "eventbus.relay_outbox",
            "schedule": EVENTBUS_RELAY_INTERVAL_SECONDS,
            "args": [alias],
            "options": {"queue": eventbus_queue(alias), "expires": 10 * EVENTBUS_RELAY_INTERVAL_SECONDS},
        }
        for context, alias in CONTEXT_DATABASES.items()
    },
    # Payments: re-send due refunds and payouts and unprocessed webhooks whose task was lost.
    "payments-sweep": {"task": "payments.sweep", "schedule": env.float("PAYMENTS_SWEEP_SECONDS", default=60.0)},
    # Time moves ofertas (expiry), trabajos (unpaid → CANCELADO, ENTREGADO → LIBERADO) and reviews
    # (published when their window closes). Each sweep is idempotent and skips rows in use.
    **{
        f"marketplace-{name}": {
            "task": f"marketplace.{name}",
            "schedule": env.float("MARKETPLACE_SWEEP_INTERVAL_SECONDS", default=60.0),
        }
        for name in ("expire_ofertas", "expire_unpaid_trabajos", "release_delivered_trabajos", "publish_due_resenas")
    },
}

# --- Event bus ----------------------------------------------------------------------------------
EVENTBUS = {
    "RELAY_INTERVAL_SECONDS": EVENTBUS_RELAY_INTERVAL_SECONDS,
    "RELAY_BATCH_SIZE": env.int("EVENTBUS_RELAY_BATCH_SIZE", default=500),
    "DELIVERY_BATCH_SIZE": env.int("EVENTBUS_DELIVERY_BATCH_SIZE", default=50),
    # A delivery sent and not confirmed (handled or dead-lettered) within its lease is sent again;
    # the lease doubles with each unconfirmed send, up to the maximum.
    "DELIVERY_LEASE_SECONDS": env.float("EVENTBUS_DELIVERY_LEASE_SECONDS", default=60.0),
    "DELIVERY_LEASE_MAX_SECONDS": env.float("EVENTBUS_DELIVERY_LEASE_MAX_SECONDS", default=3600.0),
    "MAX_RETRIES": env.int("EVENTBUS_MAX_RETRIES", default=8),
    "RETRY_BACKOFF_SECONDS": env.float("EVENTBUS_RETRY_BACKOFF_SECONDS", default=2.0),
    "RETRY_BACKOFF_MAX_SECONDS": env.float("EVENTBUS_RETRY_BACKOFF_MAX_SECONDS", default=600.0),
}

# --- HTTP: DRF, Ninja, limits ---------------------------------------------------------------------
REST_FRAMEWORK = {
    # Where auth_ctx runs it checks tokens itself; elsewhere its facade answers (platform/remote_token).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "conectar.auth_ctx.http.authentication.AccountTokenAuthentication"
        if "auth_ctx" in CONTEXTS_HERE
        else "conectar.platform.remote_token.RemoteAccessTokenAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "conectar.platform.http_errors.drf_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ConectarProfesionales API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "OAS_VERSION": "3.1.0",  # what Ninja emits: the merged document is one version throughout
    "COMPONENT_SPLIT_REQUEST": True,
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "UPDATE_LAST_LOGIN": False,
}
# For a service without auth_ctx: the accounts facade function that checks an access token.
ACCESS_TOKEN_VALIDATOR = "conectar.auth_ctx.facade.validate_access_token"  # noqa: S105 - a dotted path
MAX_JSON_BODY_BYTES = env.int("MAX_JSON_BODY_BYTES", default=1024 * 1024)
MAX_UPLOAD_BODY_BYTES = env.int("MAX_UPLOAD_BODY_BYTES", default=60 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_JSON_BODY_BYTES

# --- Identity -------------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "conectar.auth_ctx.hashers.OwaspArgon2idPasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",  # older parameters: upgraded on login
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=3600)
# Where the frontend lives: links in e-mails (password reset, …) point there.
FRONTEND_URL = env.str("FRONTEND_URL", default="http://127.0.0.1:3000").rstrip("/")

# --- Files: avatars and portfolio images public, KYC documents private ----------------------------
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="filesystem")  # filesystem | s3
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
AVATAR_MAX_BYTES = env.int("AVATAR_MAX_BYTES", default=5 * 1024 * 1024)
PORTFOLIO_IMAGE_MAX_BYTES = env.int("PORTFOLIO_IMAGE_MAX_BYTES", default=10 * 1024 * 1024)
KYC_DOCUMENT_MAX_BYTES = env.int("KYC_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
KYC_MAX_DOCUMENTS = 5
KYC_URL_SECONDS = env.int("KYC_URL_SECONDS", default=300)  # life of a signed document URL
# How long a process may show an oficio's old name in search results after staff renamed it
# (professionals/selectors/catalogue.py); a new oficio shows at once.
OFICIO_NAMES_TTL_SECONDS = env.float("OFICIO_NAMES_TTL_SECONDS", default=60.0)

# --- Circuit breakers of outside providers (conectar.platform.breakers) ------------------------------
# Consecutive provider faults that open a breaker, and seconds it stays open before one trial call.
CIRCUIT_BREAKERS = {
    "default": {
        "fail_max": env.int("CIRCUIT_BREAKER_FAIL_MAX", default=5),
        "reset_timeout": env.float("CIRCUIT_BREAKER_RESET_SECONDS", default=30.0),
    },
}


# --- Gateway hardening: rate limits, CORS, security headers, service keys (ARCHITECTURE.md § Gateway) ---
# Rate limits (conectar.platform.ratelimit): a token bucket per caller (the user of a valid access
# token, else the client IP) and class: "<limit>/<window seconds>", refilled continuously. RULES is
# the one table from requests to classes: (method, path prefix, content-type prefix, class), first
# match wins; what no rule matches (health, metrics, static files) is not limited. Redis down: fail
# open, counted in conectar_ratelimit_redis_errors_total. Off in the test settings by default.
def _rate(name: str, default: str) -> dict:
    limit, _, window = (env.str(f"RATELIMIT_{name.upper()}", default="") or default).partition("/")
    return {"limit": int(limit), "window": float(window)}


RATELIMIT = {
    # The gateway is the edge that limits; a context's own service sits behind it (and would see
    # every client as the gateway's address), so it does not limit again.
    "ENABLED": env.bool("RATELIMIT_ENABLED", default=CONECTAR_ENV != "test" and TOPOLOGY.is_gateway),
    "REDIS_URL": env.str("RATELIMIT_REDIS_URL", default="") or REDIS_URL,
    "REDIS_TIMEOUT_SECONDS": env.float("RATELIMIT_REDIS_TIMEOUT_SECONDS", default=0.25),
    # Reverse proxies in front of the app that append to X-Forwarded-For (0: REMOTE_ADDR is the client).
    "TRUSTED_PROXY_COUNT": env.int("TRUSTED_PROXY_COUNT", default=0),
    "CLASSES": {
        "auth": _rate("auth", "10/60"),  # login, registration
        "password_reset": _rate("password_reset", "5/900"),
        "upload": _rate("upload", "20/60"),  # any multipart body
        "search": _rate("search", "60/60"),
        "internal": _rate("internal", "1200/60"),  # service-to-service routes and provider webhooks
        "default": _rate("default", "300/60"),
    },
    "RULES": [
        ("POST", "/api/v1/auth/login", "", "auth"),
        ("POST", "/api/v1/auth/register", "", "auth"),
        ("POST", "/admin/login/", "", "auth"),
        ("POST", "/api/v1/auth/forgot-password", "", "password_reset"),
        ("POST", "/api/v1/auth/reset-password", "", "password_reset"),
        ("*", "/api/v1/internal/", "", "internal"),
        ("POST", "/api/v1/notify/push", "", "internal"),
        ("POST", "/api/v1/notify/email", "", "internal"),
        ("POST", "/api/v1/notify/sms", "", "internal"),
        ("POST", "/api/v1/webhook/", "", "internal"),
        ("POST", "/api/v1/payment/webhook/", "", "internal"),
        ("*", "/api/", "multipart/form-data", "upload"),
        ("GET", "/api/v1/search/", "", "search"),
        ("*", "/api/", "", "default"),
    ],
}
# While the limiter's Redis fails, its breaker skips it (no timeout per request); retried after this.
CIRCUIT_BREAKERS["ratelimit"] = {
    "fail_max": env.int("RATELIMIT_BREAKER_FAIL_MAX", default=3),
    "reset_timeout": env.float("RATELIMIT_BREAKER_RESET_SECONDS", default=5.0),
}

# Service-to-service keys (conectar.platform.service_auth): "name:key" per calling service
# ("marketplace:…,payments:…"; a bare "key" still works as an unnamed caller), presented in
# X-Service-Key / X-API-Key or as an HMAC signature whose timestamp may be this far from our clock.
INTERNAL_SERVICE_KEYS = env.list("INTERNAL_SERVICE_KEYS", default=[])
SERVICE_NAME = CONECTAR_SERVICE or "gateway"  # how this process signs its calls to the others
if REMOTE_CONTEXTS and not PRODUCTION and not any(k.startswith(f"{SERVICE_NAME}:") for k in INTERNAL_SERVICE_KEYS):
    # A split topology on one machine (make run, the tests): every process derives the same
    # per-service keys from the shared development SECRET_KEY. Production names its keys.
    INTERNAL_SERVICE_KEYS = [*INTERNAL_SERVICE_KEYS, *development_service_keys(SECRET_KEY)]
# The gateway's proxy to lifted contexts (gateway/proxy.py): `read`/`write` bound the silence
# between two chunks, not a whole download or upload.
GATEWAY_PROXY = {
    "connect_timeout": env.float("GATEWAY_PROXY_CONNECT_TIMEOUT_SECONDS", default=3.0),
    "read_timeout": env.float("GATEWAY_PROXY_READ_TIMEOUT_SECONDS", default=30.0),
    "write_timeout": env.float("GATEWAY_PROXY_WRITE_TIMEOUT_SECONDS", default=30.0),
    "pool_timeout": env.float("GATEWAY_PROXY_POOL_TIMEOUT_SECONDS", default=5.0),
    "max_connections": env.int("GATEWAY_PROXY_MAX_CONNECTIONS", default=100),
}
# Remote facades (platform/lifting): a call to a context in another process.
REMOTE_FACADES = {
    "TIMEOUT_SECONDS": env.float("REMOTE_FACADE_TIMEOUT_SECONDS", default=15.0),
    "CONNECT_TIMEOUT_SECONDS": env.float("REMOTE_FACADE_CONNECT_TIMEOUT_SECONDS", default=1.0),
    "RETRIES": env.int("REMOTE_FACADE_RETRIES", default=2),
    "RETRY_BACKOFF_SECONDS": env.float("REMOTE_FACADE_RETRY_BACKOFF_SECONDS", default=0.05),
    "POOL_SIZE": env.int("REMOTE_FACADE_POOL_SIZE", default=8),
}
SERVICE_AUTH_MAX_SKEW_SECONDS = env.int("SERVICE_AUTH_MAX_SKEW_SECONDS", default=300)

# CORS (django-cors-headers): only the allow-listed origins, API paths only; no cookies (bearer tokens).
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[]) or [FRONTEND_URL]
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-request-id",
    "x-requested-with",
)
CORS_EXPOSE_HEADERS = (
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Retry-After",
    "X-Request-ID",
    "X-Next-Cursor",
)
CORS_PREFLIGHT_MAX_AGE = 600

# Security headers (Django's SecurityMiddleware and XFrameOptionsMiddleware). Production defaults
# assume TLS ends at a proxy that sets X-Forwarded-Proto; a plain-HTTP local stack turns
# SECURE_SSL_REDIRECT and SECURE_COOKIES off (docker/compose.yml does).
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("TRUST_X_FORWARDED_PROTO", default=PRODUCTION) else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]  # probes and scrapes from inside the network
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=PRODUCTION)
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
# Content-Security-Policy (conectar.platform.security_headers): (path prefix, policy), first match
# wins; {nonce} is a fresh value per response. Admin shows KYC images from the file storage's origin.
_media_origins = env.list("CSP_MEDIA_ORIGINS", default=[])
if STORAGE_BACKEND == "s3" and not _media_origins:
    _endpoint = env.str("AWS_S3_ENDPOINT_URL", default="")
    _media_origins = ["/".join(_endpoint.split("/")[:3])] if _endpoint else ["https://*.amazonaws.com"]
    if env.str("AWS_S3_CUSTOM_DOMAIN", default=""):
        _media_origins.append("https://" + env.str("AWS_S3_CUSTOM_DOMAIN"))
CONTENT_SECURITY_POLICIES = [
    (
        "/api/v1/docs",  # Swagger UI: its static files, its one inline script by nonce, the schema
        "; ".join(
            [
                "default-src 'none'",
                "script-src 'self' 'nonce-{nonce}'",
                "style-src 'self' 'unsafe-inline'",
                "img-src 'self' data:",
                "connect-src 'self'",
                "font-src 'self'",
                "base-uri 'none'",
                "form-action 'none'",
                "frame-ancestors 'none'",
            ]
        ),
    ),
    (
        "/admin/",
        "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self' 'unsafe-inline'",
                " ".join(["img-src 'self' data:", *_media_origins]),
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            ]
        ),
    ),
    ("/api/", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),  # JSON
]

# --- Marketplace rules (DOMAIN.md § Oferta, § Trabajo, § Reviews) ---------------------------------
MARKETPLACE = {
    # Fractions allowed (0.001 h = 3.6 s) so the end-to-end tests can watch beat expire things.
    "OFERTA_DEFAULT_HOURS": env.float("OFERTA_DEFAULT_HOURS", default=72.0),
    "OFERTA_MAX_HOURS": env.int("OFERTA_MAX_HOURS", default=24 * 30),
    "OFERTA_MAX_PRICE": env.str("OFERTA_MAX_PRICE", default="100000000.00"),  # ARS; above is absurd
    "TRABAJO_UNPAID_HOURS": env.float("TRABAJO_UNPAID_HOURS", default=24.0),
    "TRABAJO_AUTO_RELEASE_DAYS": env.int("TRABAJO_AUTO_RELEASE_DAYS", default=7),
    "REVIEW_WINDOW_DAYS": env.int("REVIEW_WINDOW_DAYS", default=14),
}

# --- Payments: MercadoPago (Checkout Pro into the platform's account), payouts ------------------------
# The SDK talks to MERCADOPAGO_BASE_URL: api.mercadopago.com in production, the local sandbox
# (`python -m conectar.devtools.sandbox`) in development and tests.
MERCADOPAGO_BASE_URL = env.str("MERCADOPAGO_BASE_URL", default="https://api.mercadopago.com").rstrip("/")
MERCADOPAGO_ACCESS_TOKEN = env.str("MERCADOPAGO_ACCESS_TOKEN", default="")
MERCADOPAGO_WEBHOOK_SECRET = env.str("MERCADOPAGO_WEBHOOK_SECRET", default="")
MERCADOPAGO_TIMEOUT_SECONDS = env.float("MERCADOPAGO_TIMEOUT_SECONDS", default=8.0)
# Extra attempts of calls that cannot act twice (GETs, POSTs with our idempotency key) after a
# timeout, connection error, 5xx or 429; the wait doubles from the backoff each time.
MERCADOPAGO_MAX_RETRIES = env.int("MERCADOPAGO_MAX_RETRIES", default=2)
MERCADOPAGO_RETRY_BACKOFF_SECONDS = env.float("MERCADOPAGO_RETRY_BACKOFF_SECONDS", default=0.25)
MERCADOPAGO_WEBHOOK_TOLERANCE_SECONDS = env.int("MERCADOPAGO_WEBHOOK_TOLERANCE_SECONDS", default=300)
MERCADOPAGO_STATEMENT_DESCRIPTOR = env.str("MERCADOPAGO_STATEMENT_DESCRIPTOR", default="CONECTAR")
# True only where MERCADOPAGO_BASE_URL is the local sandbox: enables devtools' /admin/trabajo/{id}/simular-pago.
MERCADOPAGO_SANDBOX = env.bool("MERCADOPAGO_SANDBOX", default=False)
# Where MercadoPago sends webhooks (our public URL) and where the checkout returns the payer.
PUBLIC_API_URL = env.str("PUBLIC_API_URL", default="http://127.0.0.1:8000").rstrip("/")
PAYMENT_EXPIRY_HOURS = env.float("PAYMENT_EXPIRY_HOURS", default=24.0)  # fractions allowed (tests)
PAYOUT_PROVIDER = env.str("PAYOUT_PROVIDER", default="manual")  # manual | mercadopago
PAYOUT_MAX_ATTEMPTS = env.int("PAYOUT_MAX_ATTEMPTS", default=6)
# Payout and refund retries after MercadoPago faults: exponential backoff from this base (jittered,
# capped at 15 min); PAYOUT_MAX_ATTEMPTS bounds both. The beat sweep re-sends whatever stayed due.
PAYMENTS_RETRY_BACKOFF_SECONDS = env.float("PAYMENTS_RETRY_BACKOFF_SECONDS", default=15.0)
PAYMENTS_SWEEP_SECONDS = env.float("PAYMENTS_SWEEP_SECONDS", default=60.0)
# How long a worker owns a refund or payout it is sending before another may take it over (its
# death mid-call is noticed then). 0: derived from the MercadoPago timeouts (retries.lease_seconds).
PAYMENTS_LEASE_SECONDS = env.float("PAYMENTS_LEASE_SECONDS", default=0.0)

# --- Notifications: push (FCM), e-mail (SendGrid), SMS (Twilio) ----------------------------------------
# Credentials come only from here. In production every channel of NOTIFY_CHANNELS needs its
# credentials or the process refuses to start; elsewhere a channel without credentials keeps its
# messages in the local development store (Django admin: Development messages; and
# `manage.py latest_messages`). *_BASE_URL point the official SDKs at the provider (or a stand-in).
NOTIFY_CHANNELS = env.list("NOTIFY_CHANNELS", default=["push", "email", "sms"])
NOTIFY_PRODUCT_NAME = env.str("NOTIFY_PRODUCT_NAME", default="ConectarProfesionales")
NOTIFY_EMAIL_FROM = env.str("NOTIFY_EMAIL_FROM", default="no-responder@conectarprofesionales.com.ar")
NOTIFY_STAFF_EMAILS = env.list("NOTIFY_STAFF_EMAILS", default=[])  # alerts: chargebacks, failed payouts
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=8)
NOTIFY_RETRY_BACKOFF_SECONDS = env.float("NOTIFY_RETRY_BACKOFF_SECONDS", default=10.0)
NOTIFY_RETRY_BACKOFF_MAX_SECONDS = env.float("NOTIFY_RETRY_BACKOFF_MAX_SECONDS", default=1800.0)
NOTIFY_SWEEP_INTERVAL_SECONDS = env.float("NOTIFY_SWEEP_INTERVAL_SECONDS", default=60.0)
FCM_SERVICE_ACCOUNT = env.str("FCM_SERVICE_ACCOUNT", default="")  # the service-account JSON, or its path
FCM_BASE_URL = env.str("FCM_BASE_URL", default="https://fcm.googleapis.com").rstrip("/")
FCM_TIMEOUT_SECONDS = env.float("FCM_TIMEOUT_SECONDS", default=10.0)
SENDGRID_API_KEY = env.str("SENDGRID_API_KEY", default="")
SENDGRID_BASE_URL = env.str("SENDGRID_BASE_URL", default="https://api.sendgrid.com").rstrip("/")
SENDGRID_TIMEOUT_SECONDS = env.float("SENDGRID_TIMEOUT_SECONDS", default=10.0)
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_BASE_URL = env.str("TWILIO_BASE_URL", default="https://api.twilio.com").rstrip("/")
TWILIO_TIMEOUT_SECONDS = env.float("TWILIO_TIMEOUT_SECONDS", default=10.0)
for _provider in ("fcm", "sendgrid", "twilio"):
    CIRCUIT_BREAKERS[_provider] = {
        "fail_max": env.int("NOTIFY_BREAKER_FAIL_MAX", default=CIRCUIT_BREAKERS["default"]["fail_max"]),
        "reset_timeout": env.float(
            "NOTIFY_BREAKER_RESET_SECONDS", default=CIRCUIT_BREAKERS["default"]["reset_timeout"]
        ),
    }
CELERY_BEAT_SCHEDULE["notifications-sweep-pending"] = {
    "task": "notifications.sweep_pending",
    "schedule": NOTIFY_SWEEP_INTERVAL_SECONDS,
}


def _scheduled_here(entry: dict) -> bool:
    """A beat entry belongs to the context its task is named after (the relay: its outbox's)."""
    if entry["task"] == "eventbus.relay_outbox":
        return entry["args"][0] in {CONTEXT_DATABASES[c] for c in CONTEXTS_HERE}
    return entry["task"].partition(".")[0] in CONTEXTS_HERE


# Each process's beat schedules only the work of the contexts it runs.
CELERY_BEAT_SCHEDULE = {name: entry for name, entry in CELERY_BEAT_SCHEDULE.items() if _scheduled_here(entry)}

# --- Static, i18n ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
if STORAGE_BACKEND == "s3":  # S3 or MinIO through django-storages
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "access_key": env.str("AWS_ACCESS_KEY_ID"),
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY"),
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default=None),
            "url_protocol": env.str("AWS_S3_URL_PROTOCOL", default="https:"),  # http: for a local MinIO
            "querystring_auth": False,  # public files (avatars, portfolio) get plain URLs
            "file_overwrite": False,
        },
    }
elif STORAGE_BACKEND == "filesystem":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured("STORAGE_BACKEND must be filesystem or s3")
if STORAGE_BACKEND == "s3":
    # KYC documents: a private bucket; staff and owners get short-lived signed URLs only.
    _kyc_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_default_storage["OPTIONS"],
            "bucket_name": env.str("KYC_BUCKET_NAME", default=env.str("AWS_STORAGE_BUCKET_NAME") + "-kyc"),
            "querystring_auth": True,
            "querystring_expire": KYC_URL_SECONDS,
            "default_acl": "private",
            "custom_domain": None,
        },
    }
else:
    # Outside MEDIA_ROOT and with no URL: nothing serves these files but the checked view.
    _kyc_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env.str("KYC_ROOT", default=str(BASE_DIR / "var" / "private" / "kyc")),
            "base_url": None,
        },
    }
STORAGES = {
    "default": _default_storage,
    "kyc": _kyc_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = not PRODUCTION  # development serves static files without collectstatic
LANGUAGE_CODE = "es-ar"
TIME_ZONE = "America/Argentina/Buenos_Aires"
USE_I18N = True
USE_TZ = True

# --- Metrics (Prometheus) and tracing (OpenTelemetry): conectar.platform.metrics, .tracing --------------
# GET /metrics is open outside production; in production only to `Authorization: Bearer
# <METRICS_TOKEN>` or to peers inside METRICS_ALLOWED_NETWORKS (CIDRs), else 404 (nobody, with neither).
# Pre-forking servers also need PROMETHEUS_MULTIPROC_DIR in the environment (see the package's docstring).
import ipaddress

METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = [
    str(ipaddress.ip_network(cidr, strict=False)) for cidr in env.list("METRICS_ALLOWED_NETWORKS", default=[])
]
# A Celery worker serves its own metrics (its prefork children's, through PROMETHEUS_MULTIPROC_DIR)
# over HTTP on this port; 0 leaves it off. Bind 0.0.0.0 only on a private network (containers).
CELERY_METRICS_PORT = env.int("CELERY_METRICS_PORT", default=0)
CELERY_METRICS_ADDRESS = env.str("CELERY_METRICS_ADDRESS", default="127.0.0.1")
# Tracing is off (nothing instrumented) unless an OTLP/HTTP collector is given, e.g. http://otel:4318.
OTEL_EXPORTER_OTLP_ENDPOINT = env.str("OTEL_EXPORTER_OTLP_ENDPOINT", default="")
OTEL_SERVICE_NAME = env.str("OTEL_SERVICE_NAME", default="conectar")

# --- Logging: structured JSON, request id in every line ----------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="json")  # json | console
LOGGING_CONFIG = None  # configured by conectar.platform.logging at startup
from conectar.platform.logging import configure_logging

configure_logging(level=LOG_LEVEL, fmt=LOG_FORMAT)
