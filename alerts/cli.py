"""`vigie alerts ...`: back-test the detector on an export; re-send what Slack refused."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, fields
from datetime import UTC, datetime

import click

from alerts.backtest import detect
from alerts.csvio import CsvError, read_series
from alerts.detector import Params


@click.group()
def alerts() -> None:
    """Crisis alerts."""


class _FiniteFloat(click.FloatRange):
    """A float from 0 up: nan and inf parse as floats, but no detector setting means them."""

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


def _param_type(name: str, default: object) -> click.ParamType:
    if isinstance(default, int):
        # No baseline without at least one past day to compare with.
        return click.IntRange(min=1 if name == "history_days" else 0)
    return _FiniteFloat(min=0)


def _param_options(func):  # type: ignore[no-untyped-def]
    for f in reversed(fields(Params)):
        flag = "--" + f.name.replace("_", "-")
        func = click.option(
            flag,
            f.name,
            type=_param_type(f.name, f.default),
            default=None,
            help=f"default {f.default}",
        )(func)
    return func


@alerts.command("retry")
@click.option(
    "--all",
    "every_incident",
    is_flag=True,
    help="Also the messages of resolved incidents (default: firing incidents only).",
)
def retry_command(every_incident: bool) -> None:
    """Send again the alert messages Slack refused for good (after fixing the token or channel)."""
    from alerts import outbox
    from vigie.cli import load_settings
    from vigie.runtime import Runtime

    runtime = Runtime(load_settings())
    with runtime.sessions.begin() as session:
        count = outbox.retry_failed(session, datetime.now(UTC), every_incident)
    runtime.close()
    click.echo(f"{count} failed alert message(s) will be sent again by the next beat")


@alerts.command("detect")
@click.argument("path", type=click.File("r", encoding="utf-8-sig"))  # Excel writes a BOM
@click.option("--json", "as_json", is_flag=True, help="One JSON object per alert.")
@_param_options
def detect_command(path, as_json: bool, **overrides) -> None:  # type: ignore[no-untyped-def]
    """Run the detector over FILE.csv (timestamp,value[,negative]) and print each alert."""
    try:
        series = read_series(path)
    except CsvError as exc:
        raise click.ClickException(f"{path.name}: {exc}") from None
    except UnicodeDecodeError:
        raise click.ClickException(f"{path.name}: not UTF-8 text") from None
    params = Params(**{k: v for k, v in overrides.items() if v is not None})
    for d in detect(series, params):
        when = datetime.fromtimestamp(d.at, UTC).isoformat()
        if as_json:
            row = asdict(d) | {"at": when}
            click.echo(json.dumps(row))
        else:
            click.echo(f"{when} {d.kind} {d.severity}")
