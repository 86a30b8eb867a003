"""Settings.from_env: defaults, switches, strict parsing and secrets from files."""

from pathlib import Path

import pytest

from vigie.settings import DEV_SOURCE_SECRET, Settings, SettingsError


def test_it_defaults_to_embedded_sqlite_and_broker(tmp_path: Path) -> None:
    """With no configuration, the database and the broker are SQLite files in the data dir."""
    settings = Settings.from_env({"VIGIE_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path}/vigie.sqlite3"
    assert settings.broker_url == f"sqla+sqlite:///{tmp_path}/broker.sqlite3"
    assert settings.uses_embedded_broker
    assert settings.sources["demo"].secret == DEV_SOURCE_SECRET


def test_it_switches_to_postgres_and_redis_from_urls() -> None:
    """DATABASE_URL and REDIS_URL select PostgreSQL (psycopg 3) and Redis."""
    settings = Settings.from_env(
        {"DATABASE_URL": "postgres://u:p@db/vigie", "REDIS_URL": "redis://cache:6379/0"}
    )
    assert settings.database_url == "postgresql+psycopg://u:p@db/vigie"
    assert settings.broker_url == "redis://cache:6379/0"
    assert not settings.uses_embedded_broker


def test_it_reads_source_secrets_from_files(tmp_path: Path) -> None:
    """A source secret may come from VIGIE_SOURCE_<NAME>_SECRET_FILE."""
    secret_file = tmp_path / "secret"
    secret_file.write_text("s3cret\n")
    settings = Settings.from_env(
        {
            "VIGIE_SOURCES": "crm, shop-eu",
            "VIGIE_SOURCE_CRM_SECRET_FILE": str(secret_file),
            "VIGIE_SOURCE_SHOP_EU_SECRET": "other",
            "VIGIE_SOURCE_SHOP_EU_CALLBACK_URL": "https://shop.example/hook",
        }
    )
    assert settings.sources["crm"].secret == "s3cret"
    assert settings.sources["shop-eu"].callback_url == "https://shop.example/hook"
    assert "demo" not in settings.sources


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"VIGIE_LOG_JSON": "maybe"}, "VIGIE_LOG_JSON"),
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"VIGIE_ENV": "staging"}, "VIGIE_ENV"),
        ({"VIGIE_SOURCES": "crm"}, "VIGIE_SOURCE_CRM_SECRET"),
        ({"VIGIE_SOURCES": "Bad Name"}, "VIGIE_SOURCES"),
        ({"SENTRY_DSN_FILE": "/nonexistent/dsn"}, "SENTRY_DSN_FILE"),
        ({"VIGIE_ENV": "production"}, "VIGIE_SOURCES"),
        ({"VIGIE_LANGUAGE_WEIGHTS": "xx=3"}, "VIGIE_LANGUAGE_WEIGHTS"),
        ({"VIGIE_LANGUAGE_WEIGHTS": "fr=lots"}, "VIGIE_LANGUAGE_WEIGHTS"),
        ({"VIGIE_LANGUAGE_WEIGHTS": "fr=0"}, "VIGIE_LANGUAGE_WEIGHTS"),
        ({"VIGIE_LANGUAGE_WEIGHTS": "fr"}, "VIGIE_LANGUAGE_WEIGHTS"),
        ({"VIGIE_SWEEP_INTERVAL": "nan"}, "VIGIE_SWEEP_INTERVAL"),
        ({"VIGIE_CLAIM_LEASE": "inf"}, "VIGIE_CLAIM_LEASE"),
        ({"VIGIE_ENQUEUE_WAIT": "nan"}, "VIGIE_ENQUEUE_WAIT"),
        ({"DATABASE_URL": "garbage"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://u:p@db/vigie"}, "DATABASE_URL"),
        ({"VIGIE_ALERT_TOPICS": "launch=|"}, "VIGIE_ALERT_TOPICS"),
        ({"VIGIE_ALERT_TOPICS": "launch=a| |b"}, "VIGIE_ALERT_TOPICS"),
        ({"VIGIE_ALERT_TOPICS": "recall=thread:"}, "VIGIE_ALERT_TOPICS"),
        ({"VIGIE_DEMO_CALLBACK_URL": "shop.example/hook"}, "VIGIE_DEMO_CALLBACK_URL"),
        (
            {
                "VIGIE_SOURCES": "crm",
                "VIGIE_SOURCE_CRM_SECRET": "s",
                "VIGIE_SOURCE_CRM_CALLBACK_URL": "ftp://shop.example/hook",
            },
            "VIGIE_SOURCE_CRM_CALLBACK_URL",
        ),
        ({"META_CALLBACK_URL": "https://"}, "META_CALLBACK_URL"),
        ({"VIGIE_PUBLIC_URL": "vigie.example.com"}, "VIGIE_PUBLIC_URL"),
        ({"SLACK_API_URL": "not a url"}, "SLACK_API_URL"),
        ({"VIGIE_ALERT_CHANNELS": "critcal=#war-room"}, "VIGIE_ALERT_CHANNELS"),
        ({"VIGIE_ALERT_CHANNELS": "twitter.crisis=#x"}, "VIGIE_ALERT_CHANNELS"),
        ({"REDIS_URL": "cache:6379"}, "REDIS_URL"),
    ],
)
def test_it_names_the_variable_in_errors(environ: dict[str, str], names: str) -> None:
    """A malformed or missing setting raises an error naming the variable."""
    with pytest.raises(SettingsError, match=names):
        Settings.from_env(environ)


def test_it_names_a_secret_file_that_is_not_utf8(tmp_path: Path) -> None:
    """A *_FILE secret that is not UTF-8 text is an error naming the variable."""
    (tmp_path / "dsn").write_bytes(b"\xff\xfe not text")
    with pytest.raises(SettingsError, match=r"^SENTRY_DSN_FILE: .*not UTF-8"):
        Settings.from_env({"SENTRY_DSN_FILE": str(tmp_path / "dsn")})


def test_it_refuses_a_data_dir_that_is_a_file(tmp_path: Path) -> None:
    """VIGIE_DATA_DIR naming a file stops start-up naming the variable."""
    (tmp_path / "var").write_text("")
    with pytest.raises(SettingsError, match=r"^VIGIE_DATA_DIR: .* is not a folder"):
        Settings.from_env({"VIGIE_DATA_DIR": str(tmp_path / "var")})


def test_it_trims_the_terms_of_alert_topics() -> None:
    """Spaces around `|` are not part of a topic's terms (" new phone " matched no comment)."""
    settings = Settings.from_env({"VIGIE_ALERT_TOPICS": "launch= #launch | new phone ;recall=x"})
    assert settings.alert_topics == {"launch": ("#launch", "new phone"), "recall": ("x",)}


def test_it_refuses_a_rules_dir_that_is_no_folder(tmp_path: Path) -> None:
    """A VIGIE_RULES_DIR that does not exist stops start-up instead of failing every decision."""
    with pytest.raises(SettingsError, match=r"^VIGIE_RULES_DIR: .*/gone is not a folder"):
        Settings.from_env({"VIGIE_RULES_DIR": str(tmp_path / "gone")})


def test_it_reads_alert_routes() -> None:
    """VIGIE_ALERT_CHANNELS keys are default, a severity, a platform or platform.severity."""
    routes = "default=#alerts,crisis=#crisis,facebook=#fb,x.crisis=#x-war-room"
    settings = Settings.from_env({"VIGIE_ALERT_CHANNELS": routes})
    assert settings.alert_channels["x.crisis"] == "#x-war-room"


def test_it_keeps_database_passwords_out_of_errors() -> None:
    """A refused DATABASE_URL is named by its scheme, never echoed with its password."""
    with pytest.raises(SettingsError, match="DATABASE_URL") as caught:
        Settings.from_env({"DATABASE_URL": "mysql://vigie:hunter2@db/vigie"})
    assert "hunter2" not in str(caught.value)


def test_it_reads_the_load_settings() -> None:
    """Backlog limit (0 = no shedding), worker niceness and pool timeout; bad values name the variable."""
    defaults = Settings.from_env({})
    assert (defaults.max_backlog, defaults.worker_nice, defaults.db_pool_timeout_s) == (
        5000,
        5,
        2.0,
    )
    tuned = Settings.from_env(
        {"VIGIE_MAX_BACKLOG": "0", "VIGIE_WORKER_NICE": "0", "VIGIE_DB_POOL_TIMEOUT": "0.5"}
    )
    assert (tuned.max_backlog, tuned.worker_nice, tuned.db_pool_timeout_s) == (0, 0, 0.5)
    for name, value in [("VIGIE_MAX_BACKLOG", "-1"), ("VIGIE_WORKER_NICE", "20")]:
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: value})


def test_it_reads_the_redis_timeout() -> None:
    """VIGIE_REDIS_TIMEOUT (the rate limiter's, on the request path) defaults to 0.25 s; zero,
    nonsense and anything past 5 s are refused, naming the variable."""
    assert Settings.from_env({}).redis_timeout_s == 0.25
    assert Settings.from_env({"VIGIE_REDIS_TIMEOUT": "0.05"}).redis_timeout_s == 0.05
    for value, problem in [
        ("0", "must be a positive finite number"),
        ("soon", "expected a number"),
        ("30", "longer than a webhook should wait on Redis"),
    ]:
        with pytest.raises(SettingsError, match=f"^VIGIE_REDIS_TIMEOUT: .*{problem}"):
            Settings.from_env({"VIGIE_REDIS_TIMEOUT": value})


def test_it_reads_the_enqueue_wait() -> None:
    """VIGIE_ENQUEUE_WAIT defaults to 0.2 s; 0 is allowed (no coalescing), negative is not."""
    assert Settings.from_env({}).enqueue_wait_s == 0.2
    assert Settings.from_env({"VIGIE_ENQUEUE_WAIT": "0"}).enqueue_wait_s == 0
    with pytest.raises(SettingsError, match="VIGIE_ENQUEUE_WAIT"):
        Settings.from_env({"VIGIE_ENQUEUE_WAIT": "-1"})


def test_it_reads_the_language_prior() -> None:
    """English and French are favoured unless the deployment says otherwise."""
    assert Settings.from_env({}).language_weights == {"en": 3.0, "fr": 3.0}
    weights = Settings.from_env({"VIGIE_LANGUAGE_WEIGHTS": "es=4, fr=2"}).language_weights
    assert weights == {"es": 4.0, "fr": 2.0}


def test_it_reads_which_transformers_models_run_in_int8() -> None:
    """VIGIE_TRANSFORMERS_INT8: off by default, true/false or scores that have a model."""
    models = {"VIGIE_TRANSFORMERS_MODELS": "toxicity=hf:/m/t,irony=hf:/m/i"}
    assert Settings.from_env(models).transformers_int8 == ""
    chosen = Settings.from_env({**models, "VIGIE_TRANSFORMERS_INT8": "toxicity"})
    assert chosen.transformers_int8 == "toxicity"
    for value, reason in [("sometimes", "true/false or scores"), ("sentiment", "no model")]:
        with pytest.raises(SettingsError, match=f"VIGIE_TRANSFORMERS_INT8: .*{reason}"):
            Settings.from_env({**models, "VIGIE_TRANSFORMERS_INT8": value})
