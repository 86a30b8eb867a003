"""Vigie's configuration, read once from the environment at start-up.

`Settings.from_env(environ)` is the only place that reads environment variables. Every secret
can also be given as a file: `X_FILE=/run/secrets/x` instead of `X=...`.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEV_SOURCE_SECRET = "vigie-dev-secret"  # noqa: S105 - documented development default only
DEV_SECRET_KEY = "vigie-dev-session-key"  # noqa: S105 - development only; production must set one

_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


# The moderators' pages are translated into these (api/translations/); English is the source.
UI_LANGUAGES = ("en", "fr")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Source:
    """A system allowed to push comments, with its signing secret and optional callback.

    `previous_secret` (VIGIE_SOURCE_<NAME>_SECRET_PREVIOUS) is still accepted on inbound
    requests while the source rotates to `secret`; callbacks meanwhile carry a signature with
    each (`t=<ts>,v1=<new>,v1=<old>`), so the receiver may switch whenever it likes.
    """

    name: str
    secret: str
    callback_url: str | None = None
    previous_secret: str | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret an inbound signature may use, and callbacks are signed with: the current
        one first."""
        return accepted_secrets(self.secret, self.previous_secret)


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    data_dir: Path = Path("var")
    database_url: str = ""
    broker_url: str = ""
    redis_url: str | None = None
    sentry_dsn: str | None = None
    sources: Mapping[str, Source] = field(default_factory=dict)
    meta_app_secret: str | None = None
    # META_APP_SECRET_PREVIOUS: still accepted on X-Hub-Signature-256 while rotating.
    meta_app_secret_previous: str | None = None
    meta_verify_token: str | None = None
    # META_VERIFY_TOKEN_PREVIOUS: still accepted on the subscription check while rotating.
    meta_verify_token_previous: str | None = None
    meta_callback_url: str | None = None
    rules_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_json: bool = False
    signature_tolerance_s: int = 300
    max_body_bytes: int = 8 * 1024 * 1024
    max_text_chars: int = 10_000
    max_batch: int = 500
    callback_max_attempts: int = 15
    callback_timeout_s: float = 5.0
    sweep_interval_s: float = 5.0
    rescue_after_s: float = 300.0
    # Redis broker: a task taken by a worker that died (kill -9, OOM) comes back after this
    # long (the sweep's VIGIE_RESCUE_AFTER re-enqueues its comments too, whichever is first).
    visibility_timeout_s: float = 600.0
    broker_timeout_s: float = 5.0  # connect/read timeout towards the broker (Redis)
    # VIGIE_REDIS_TIMEOUT: connect/read timeout of the rate limiter's Redis calls, which run on
    # the request path; past it Redis is skipped for a few seconds (vigie/breaker.py).
    redis_timeout_s: float = 0.25
    scorer: str = "default"  # VIGIE_SCORER: default (offline heads), lexicon, transformers
    # VIGIE_TRANSFORMERS_MODELS: "toxicity=detoxify:CKPT:CONFIG_DIR,irony=hf:DIR,sentiment=hf:DIR"
    transformers_models: str = ""
    # VIGIE_LANGUAGE_WEIGHTS: the language identifier's prior, "en=3,fr=3" (unlisted languages 1)
    language_weights: dict[str, float] = field(default_factory=lambda: {"en": 3.0, "fr": 3.0})
    # VIGIE_TRANSFORMERS_INT8: "true" (every model), "false" (default) or "toxicity,irony":
    # those models' Linear layers are dynamically quantized to int8 after loading.
    transformers_int8: str = ""
    secret_key: str = DEV_SECRET_KEY
    # VIGIE_SECRET_KEY_PREVIOUS: sessions and CSRF tokens it signed stay valid while rotating.
    secret_key_previous: str | None = None
    claim_lease_s: float = 300.0
    # VIGIE_UI_LANGUAGE: the moderators' pages' language when neither the moderator's choice
    # nor the browser's Accept-Language picks one of UI_LANGUAGES (api/i18n.py).
    ui_language: str = "en"
    # Crisis alerts (alerts/): Slack, routing, timings, topics.
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_signing_secret_previous: str | None = None  # still accepted while rotating
    slack_api_url: str | None = None  # tests point this at a fake Slack server
    alert_channels: Mapping[str, str] = field(default_factory=dict)
    alert_oncall_group: str | None = None
    alert_interval_s: float = 5.0
    alert_repeat_s: float = 4 * 3600.0
    alert_escalate_after_s: float = 900.0
    alert_backoff_max_s: float = 300.0  # longest wait between two attempts at a Slack message
    alert_topics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    public_url: str = "http://127.0.0.1:8000"
    # Rate limits (vigie/ratelimit.py): requests a minute per source; failed logins per
    # 15 minutes per username and per client address before logins are refused (429).
    rate_limit_per_source: int = 1200
    login_max_failures: int = 5
    login_max_failures_per_ip: int = 50
    login_max_failures_per_user: int = 100
    # VIGIE_RETENTION_DAYS: blank comment text and author handles after this many days
    # (moderation/retention.py); None keeps them.
    retention_days: int | None = None
    # VIGIE_MAX_BACKLOG: past this many undecided comments the webhooks answer 503 overloaded
    # (api/shedding.py); 0 turns load shedding off.
    max_backlog: int = 5000
    # VIGIE_WORKER_NICE: `vigie run` starts the Celery worker this much nicer than the web.
    worker_nice: int = 5
    # VIGIE_DB_POOL_TIMEOUT: seconds to wait for a pooled database connection (web: then 503).
    db_pool_timeout_s: float = 2.0
    # VIGIE_ENQUEUE_WAIT: seconds a web process gathers new comments into one scoring task
    # (api/coalesce.py); 0 sends one task per request.
    enqueue_wait_s: float = 0.2

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def uses_embedded_broker(self) -> bool:
        return self.broker_url.startswith("sqla+")

    @property
    def meta_app_secrets(self) -> tuple[str, ...]:
        """Secrets an X-Hub-Signature-256 may use (none: Meta webhooks are not configured)."""
        return accepted_secrets(self.meta_app_secret, self.meta_app_secret_previous)

    @property
    def meta_verify_tokens(self) -> tuple[str, ...]:
        """Tokens Meta's subscription check may carry (none: Meta webhooks are not configured)."""
        return accepted_secrets(self.meta_verify_token, self.meta_verify_token_previous)

    @property
    def slack_signing_secrets(self) -> tuple[str, ...]:
        return accepted_secrets(self.slack_signing_secret, self.slack_signing_secret_previous)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from an environment mapping; raise SettingsError naming the bad variable."""
        env = _choice(environ, "VIGIE_ENV", ("development", "production", "test"), "development")
        data_dir = Path(environ.get("VIGIE_DATA_DIR", "var")).expanduser()
        if data_dir.exists() and not data_dir.is_dir():
            raise SettingsError(f"VIGIE_DATA_DIR: {data_dir} is not a folder")
        database_url = _database_url(
            environ.get("DATABASE_URL") or f"sqlite:///{data_dir.resolve()}/vigie.sqlite3"
        )
        redis_url = environ.get("REDIS_URL") or None
        if redis_url and urlsplit(redis_url).scheme not in ("redis", "rediss", "unix"):
            # The rate limiter would refuse it on every request (a 500), the broker at start-up.
            raise SettingsError("REDIS_URL: expected a redis://, rediss:// or unix:// URL")
        broker_url = (
            environ.get("BROKER_URL")
            or redis_url
            or f"sqla+sqlite:///{data_dir.resolve()}/broker.sqlite3"
        )
        sources = _sources(environ, env)
        rules_dir = environ.get("VIGIE_RULES_DIR")
        if rules_dir and not Path(rules_dir).is_dir():
            # Otherwise every decision fails on "no default.yaml" until the folder appears.
            raise SettingsError(f"VIGIE_RULES_DIR: {rules_dir} is not a folder")
        settings = cls(
            env=env,
            data_dir=data_dir,
            database_url=database_url,
            broker_url=broker_url,
            redis_url=redis_url,
            sentry_dsn=_secret(environ, "SENTRY_DSN"),
            sources=sources,
            meta_app_secret=_secret(environ, "META_APP_SECRET"),
            meta_app_secret_previous=_previous_secret(environ, "META_APP_SECRET"),
            meta_verify_token=_secret(environ, "META_VERIFY_TOKEN"),
            meta_verify_token_previous=_previous_secret(environ, "META_VERIFY_TOKEN"),
            meta_callback_url=_url(environ, "META_CALLBACK_URL"),
            rules_dir=Path(rules_dir) if rules_dir else None,
            host=environ.get("VIGIE_HOST", "127.0.0.1"),
            port=_int(environ, "PORT", 8000, 1, 65535),
            log_level=_choice(
                environ, "VIGIE_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"
            ),
            log_json=_bool(environ, "VIGIE_LOG_JSON", env == "production"),
            max_body_bytes=_int(environ, "VIGIE_MAX_BODY_BYTES", 8 * 1024 * 1024, 1024, 1 << 30),
            callback_max_attempts=_int(environ, "VIGIE_CALLBACK_MAX_ATTEMPTS", 15, 1, 100),
            sweep_interval_s=_float(environ, "VIGIE_SWEEP_INTERVAL", 5.0),
            rescue_after_s=_float(environ, "VIGIE_RESCUE_AFTER", 300.0),
            visibility_timeout_s=_float(environ, "VIGIE_VISIBILITY_TIMEOUT", 600.0),
            broker_timeout_s=_float(environ, "VIGIE_BROKER_TIMEOUT", 5.0),
            redis_timeout_s=_redis_timeout(environ),
            scorer=_choice(
                environ, "VIGIE_SCORER", ("default", "lexicon", "transformers"), "default"
            ),
            transformers_models=_model_specs(environ),
            language_weights=_language_weights(environ),
            transformers_int8=_int8_models(environ),
            secret_key=_secret(environ, "VIGIE_SECRET_KEY") or DEV_SECRET_KEY,
            secret_key_previous=_previous_secret(environ, "VIGIE_SECRET_KEY"),
            claim_lease_s=_float(environ, "VIGIE_CLAIM_LEASE", 300.0),
            ui_language=_choice(environ, "VIGIE_UI_LANGUAGE", UI_LANGUAGES, "en"),
            slack_bot_token=_secret(environ, "SLACK_BOT_TOKEN"),
            slack_signing_secret=_secret(environ, "SLACK_SIGNING_SECRET"),
            slack_signing_secret_previous=_previous_secret(environ, "SLACK_SIGNING_SECRET"),
            slack_api_url=_url(environ, "SLACK_API_URL"),
            alert_channels=_alert_channels(environ),
            alert_oncall_group=environ.get("VIGIE_ALERT_ONCALL_GROUP") or None,
            alert_interval_s=_float(environ, "VIGIE_ALERT_INTERVAL", 5.0),
            alert_repeat_s=_float(environ, "VIGIE_ALERT_REPEAT", 4 * 3600.0),
            alert_escalate_after_s=_float(environ, "VIGIE_ALERT_ESCALATE_AFTER", 900.0),
            alert_backoff_max_s=_float(environ, "VIGIE_ALERT_BACKOFF_MAX", 300.0),
            alert_topics=_alert_topics(environ),
            public_url=(
                _url(environ, "VIGIE_PUBLIC_URL")
                or f"http://127.0.0.1:{_int(environ, 'PORT', 8000, 1, 65535)}"
            ).rstrip("/"),
            rate_limit_per_source=_int(environ, "VIGIE_RATE_LIMIT_PER_SOURCE", 1200, 1, 10**9),
            login_max_failures=_int(environ, "VIGIE_LOGIN_MAX_FAILURES", 5, 1, 10**6),
            login_max_failures_per_ip=_int(
                environ, "VIGIE_LOGIN_MAX_FAILURES_PER_IP", 50, 1, 10**6
            ),
            login_max_failures_per_user=_int(
                environ, "VIGIE_LOGIN_MAX_FAILURES_PER_USER", 100, 1, 10**6
            ),
            max_backlog=_int(environ, "VIGIE_MAX_BACKLOG", 5000, 0, 10**9),
            worker_nice=_int(environ, "VIGIE_WORKER_NICE", 5, 0, 19),
            db_pool_timeout_s=_float(environ, "VIGIE_DB_POOL_TIMEOUT", 2.0),
            enqueue_wait_s=_float(environ, "VIGIE_ENQUEUE_WAIT", 0.2, allow_zero=True),
            retention_days=_int(environ, "VIGIE_RETENTION_DAYS", 0, 1, 36500)
            if environ.get("VIGIE_RETENTION_DAYS")
            else None,
        )
        if settings.is_production and not settings.sources and not settings.meta_app_secret:
            raise SettingsError(
                "VIGIE_SOURCES: production needs at least one source (or META_APP_SECRET)"
            )
        if settings.is_production:
            _strong_enough(settings)
            if settings.slack_bot_token and not settings.slack_signing_secret:
                # The alerts carry buttons; without it every click is refused (a 404 in Slack).
                raise SettingsError(
                    "SLACK_SIGNING_SECRET: needed with SLACK_BOT_TOKEN in production, for the "
                    "alerts' buttons (the Slack app's Basic Information > Signing Secret)"
                )
            if settings.slack_bot_token and not environ.get("VIGIE_PUBLIC_URL"):
                # Every Slack alert links to the review queue: on the default it would be
                # http://127.0.0.1:PORT, a link no moderator can open.
                raise SettingsError(
                    "VIGIE_PUBLIC_URL: production Slack alerts link to the review queue; set "
                    "Vigie's address as moderators reach it (e.g. https://vigie.example.com)"
                )
        return settings


@contextmanager
def exit_on_bad_settings(exit_code: int = 1) -> Iterator[None]:
    """For a server process (gunicorn, celery): a bad setting is one line, no traceback.

    gunicorn halts on a worker that exits with 3 ("Worker failed to boot") instead of
    respawning it; the line names the variable, as `vigie` commands do.
    """
    try:
        yield
    except SettingsError as exc:
        print(f"configuration: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(exit_code) from None


# Production floors for the secrets Vigie's users choose (Meta's and Slack's are issued to them).
MIN_SESSION_KEY_CHARS = 32
MIN_SOURCE_SECRET_CHARS = 16
_MAKE_ONE = "e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def _strong_enough(settings: Settings) -> None:
    """Production refuses the development session key and guessable secrets."""
    if settings.secret_key == DEV_SECRET_KEY:
        raise SettingsError(f"VIGIE_SECRET_KEY: production needs its own session key ({_MAKE_ONE})")
    for variable, key in (
        ("VIGIE_SECRET_KEY", settings.secret_key),
        ("VIGIE_SECRET_KEY_PREVIOUS", settings.secret_key_previous),
    ):
        if key is not None and len(key) < MIN_SESSION_KEY_CHARS:
            raise SettingsError(
                f"{variable}: production needs at least {MIN_SESSION_KEY_CHARS} characters"
                f" ({_MAKE_ONE})"
            )
    for name, source in settings.sources.items():
        key = f"VIGIE_SOURCE_{name.upper().replace('-', '_')}_SECRET"
        for variable, secret in ((key, source.secret), (f"{key}_PREVIOUS", source.previous_secret)):
            if secret is not None and len(secret) < MIN_SOURCE_SECRET_CHARS:
                raise SettingsError(
                    f"{variable}: production needs at least {MIN_SOURCE_SECRET_CHARS} characters"
                    f" ({_MAKE_ONE})"
                )


def _database_url(url: str) -> str:
    """The SQLAlchemy URL for DATABASE_URL: SQLite or PostgreSQL (driven by psycopg 3)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if url.startswith("postgres://"):
        # Heroku-style URLs; SQLAlchemy only knows the long scheme.
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    # Errors name the scheme at most: the URL may hold a password.
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        raise SettingsError(
            "DATABASE_URL: not a database URL (expected postgresql://user:pass@host/db or "
            "sqlite:///path)"
        ) from None
    if backend not in ("sqlite", "postgresql"):
        raise SettingsError(f"DATABASE_URL: Vigie runs on PostgreSQL or SQLite, not {backend!r}")
    return url


def _secret(environ: Mapping[str, str], name: str) -> str | None:
    """Read NAME, or the file named by NAME_FILE (trailing newline stripped)."""
    path = environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").rstrip("\r\n") or None
        except OSError as exc:
            raise SettingsError(f"{name}_FILE: cannot read {path}: {exc.strerror}") from exc
        except UnicodeDecodeError:
            raise SettingsError(f"{name}_FILE: {path} is not UTF-8 text") from None
    return environ.get(name) or None


def accepted_secrets(current: str | None, previous: str | None) -> tuple[str, ...]:
    """The secrets inbound signatures are checked against: current first, then previous."""
    return tuple(dict.fromkeys(s for s in (current, previous) if s))


def _previous_secret(environ: Mapping[str, str], name: str) -> str | None:
    """NAME_PREVIOUS (or NAME_PREVIOUS_FILE): the secret being rotated out, still accepted.

    Only with NAME itself: a previous secret alone would be the only one accepted, and the
    variable's name would say the opposite.
    """
    previous = _secret(environ, f"{name}_PREVIOUS")
    if previous is not None and _secret(environ, name) is None:
        raise SettingsError(
            f"{name}_PREVIOUS: set only while rotating, together with {name} (the new secret)"
        )
    return previous


def _sources(environ: Mapping[str, str], env: str) -> dict[str, Source]:
    names = [n.strip() for n in environ.get("VIGIE_SOURCES", "").split(",") if n.strip()]
    if not names and env != "production":
        return {"demo": Source("demo", DEV_SOURCE_SECRET, _url(environ, "VIGIE_DEMO_CALLBACK_URL"))}
    sources = {}
    for name in names:
        if not _NAME_RE.match(name):
            raise SettingsError(f"VIGIE_SOURCES: bad source name {name!r} (use a-z, 0-9, - and _)")
        key = f"VIGIE_SOURCE_{name.upper().replace('-', '_')}"
        secret = _secret(environ, f"{key}_SECRET")
        if not secret:
            raise SettingsError(f"{key}_SECRET: missing secret for source {name!r}")
        sources[name] = Source(
            name,
            secret,
            _url(environ, f"{key}_CALLBACK_URL"),
            _previous_secret(environ, f"{key}_SECRET"),
        )
    return sources


def _model_specs(environ: Mapping[str, str]) -> str:
    from moderation.scorers.hf import parse_specs

    raw = environ.get("VIGIE_TRANSFORMERS_MODELS", "")
    try:
        parse_specs(raw)
    except ValueError as exc:
        raise SettingsError(f"VIGIE_TRANSFORMERS_MODELS: {exc}") from None
    if environ.get("VIGIE_SCORER") == "transformers" and not raw:
        raise SettingsError("VIGIE_TRANSFORMERS_MODELS: needed when VIGIE_SCORER=transformers")
    return raw


def _language_weights(environ: Mapping[str, str]) -> dict[str, float]:
    from moderation.scoring import DEFAULT_LANGUAGE_WEIGHTS, IDENTIFIED_LANGUAGES

    name = "VIGIE_LANGUAGE_WEIGHTS"
    if not environ.get(name, "").strip():
        return dict(DEFAULT_LANGUAGE_WEIGHTS)
    weights = {}
    for lang, raw in _pairs(environ, name).items():
        if lang not in IDENTIFIED_LANGUAGES:
            raise SettingsError(
                f"{name}: unknown language {lang!r}; expected one of {', '.join(IDENTIFIED_LANGUAGES)}"
            )
        try:
            weights[lang] = float(raw)
        except ValueError:
            raise SettingsError(f"{name}: {lang}: expected a number, got {raw!r}") from None
        if not weights[lang] > 0 or weights[lang] == float("inf"):
            raise SettingsError(f"{name}: {lang}: must be a positive number, got {raw!r}")
    return weights


def _int8_models(environ: Mapping[str, str]) -> str:
    from moderation.scorers.hf import parse_int8, parse_specs

    raw = environ.get("VIGIE_TRANSFORMERS_INT8", "")
    try:
        parse_int8(raw, parse_specs(environ.get("VIGIE_TRANSFORMERS_MODELS", "")))
    except ValueError as exc:
        raise SettingsError(f"VIGIE_TRANSFORMERS_INT8: {exc}") from None
    return raw


def _alert_channels(environ: Mapping[str, str]) -> dict[str, str]:
    """Slack routes; a misspelt key would quietly send a crisis to the default channel."""
    from alerts.severity import SEVERITIES
    from moderation.models import PLATFORMS

    name = "VIGIE_ALERT_CHANNELS"
    channels = _pairs(environ, name)
    keys = {"default", *SEVERITIES, *PLATFORMS}
    keys |= {f"{platform}.{severity}" for platform in PLATFORMS for severity in SEVERITIES}
    for key in channels:
        if key not in keys:
            raise SettingsError(
                f"{name}: unknown route {key!r}; use default, a severity "
                f"({', '.join(SEVERITIES)}), a platform, or platform.severity"
            )
    return channels


def _alert_topics(environ: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """`launch=#launch|new phone;recall=thread:1234` into {"launch": ("#launch", "new phone"), ...}.

    Terms are trimmed; an empty term (which every comment contains) or a bare `thread:` is an
    error rather than a topic that matches everything or nothing.
    """
    name = "VIGIE_ALERT_TOPICS"
    topics = {}
    for topic, raw in _pairs(environ, name, ";").items():
        terms = tuple(term.strip() for term in raw.split("|"))
        if not all(terms) or "thread:" in terms:
            raise SettingsError(
                f"{name}: {topic}: expected terms or thread:<id> separated by |, got {raw!r}"
            )
        topics[topic] = terms
    return topics


MAX_REDIS_TIMEOUT_S = 5.0


def _redis_timeout(environ: Mapping[str, str]) -> float:
    """VIGIE_REDIS_TIMEOUT: each webhook may wait this long on Redis, so it stays short."""
    value = _float(environ, "VIGIE_REDIS_TIMEOUT", 0.25)
    if value > MAX_REDIS_TIMEOUT_S:
        raise SettingsError(
            f"VIGIE_REDIS_TIMEOUT: {value:g} s is longer than a webhook should wait on Redis"
            f" (at most {MAX_REDIS_TIMEOUT_S:g})"
        )
    return value


def _url(environ: Mapping[str, str], name: str) -> str | None:
    """An optional http(s) URL; anything else would fail every request sent to it, for hours."""
    raw = environ.get(name) or None
    if raw is None:
        return None
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        # Not echoed: a callback URL may carry a token in its query.
        raise SettingsError(f"{name}: expected an http:// or https:// URL with a host")
    return raw


def _pairs(environ: Mapping[str, str], name: str, sep: str = ",") -> dict[str, str]:
    """`a=x,b=y` into {"a": "x", "b": "y"}; a malformed pair is an error naming the variable."""
    pairs = {}
    for item in (environ.get(name) or "").split(sep):
        if not item.strip():
            continue
        key, eq, value = item.partition("=")
        if not eq or not key.strip() or not value.strip():
            raise SettingsError(f"{name}: expected key=value pairs, got {item.strip()!r}")
        pairs[key.strip()] = value.strip()
    return pairs


def _bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}: expected a boolean (true/false), got {raw!r}")


def _int(environ: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}: expected an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise SettingsError(f"{name}: {value} is outside {lo}..{hi}")
    return value


def _float(
    environ: Mapping[str, str], name: str, default: float, allow_zero: bool = False
) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}: expected a number, got {raw!r}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        # nan and inf parse as floats, but no timer or lease can be built from them.
        raise SettingsError(f"{name}: must be a positive finite number, got {raw!r}")
    return value


def _choice(environ: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = environ.get(name) or default
    if raw not in allowed:
        raise SettingsError(f"{name}: expected one of {', '.join(allowed)}, got {raw!r}")
    return raw
