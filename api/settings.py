"""Configuration from `CHAUD_*` environment variables (and an optional `.env` file)."""

import os
import secrets
from datetime import datetime
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Final, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.models.enums import VatClass
from api.services.legal import Siret, VatNumber
from api.services.vat import DELIVERY_RATE_BP, FRENCH_RATES_BP
from dispatch.geo.maps import BUNDLED_MAP_DIR, BUNDLED_MAP_NAME, missing_networks
from dispatch.geo.profiles import Profile, make_profiles
from dispatch.planning.problem import DEFAULT_OBJECTIVE, Objective
from dispatch.planning.zones import LEND_RESERVE

MIN_SECRET_BYTES: Final = 32
MIN_SECRET_SYMBOLS: Final = 10
MIN_METRICS_TOKEN: Final = 16
SECRET_FILE: Final = "secret_key"  # noqa: S105 (the file's name, not a secret)
SQLITE_SCHEMES: Final = frozenset({"sqlite", "sqlite+pysqlite"})
POSTGRES_SCHEMES: Final = frozenset({"postgresql", "postgresql+psycopg"})
REDIS_SCHEMES: Final = frozenset({"redis", "rediss", "unix"})


class ConfigurationError(Exception):
    """Start-up refused: the message is one line naming the setting and the reason."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CHAUD_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means a SQLite file in data_dir"
    )
    redis_url: str | None = None
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Signs tokens. Unset in development: a random one kept in data_dir; "
        "production requires at least 32 random bytes",
    )
    map_dir: Path = BUNDLED_MAP_DIR
    map_name: str = BUNDLED_MAP_NAME
    cache_dir: Path | None = Field(
        default=None, description="Processed street graphs; empty means data_dir/cache"
    )
    max_snap_m: Annotated[float, Field(gt=0, le=1000)] = 150.0
    bike_kph: Annotated[float, Field(gt=0, le=60)] = 15.0
    ebike_kph: Annotated[float, Field(gt=0, le=60)] = 20.0
    scooter_max_kph: Annotated[float, Field(gt=0, le=130)] = 45.0
    scooter_legal_speed_share: Annotated[float, Field(gt=0, le=1)] = 0.6
    walk_kph: Annotated[float, Field(gt=0, le=10)] = 4.5
    token_ttl_minutes: Annotated[int, Field(ge=5, le=60 * 24 * 30)] = 12 * 60
    login_attempts_per_minute: Annotated[int, Field(ge=1, le=100_000)] = 10
    """Sign-in attempts per client address, whatever the e-mails tried."""
    login_failures_per_account_minute: Annotated[int, Field(ge=1, le=1000)] = 5
    """Failed sign-ins per account in a minute (four times that in an hour) before it waits."""
    signups_per_hour: Annotated[int, Field(ge=1, le=100_000)] = 10
    password_hash_threads: Annotated[int, Field(ge=1, le=16)] = 1
    password_hash_queue: Annotated[int, Field(ge=0, le=1000)] = 8
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses of the proxies whose X-Forwarded-For is "
        "believed; empty: none, the connection's address is the client",
    )
    max_restaurants_per_order: Annotated[int, Field(ge=1, le=10)] = 3
    fee_base_cents: Annotated[int, Field(ge=0)] = 290
    fee_per_extra_restaurant_cents: Annotated[int, Field(ge=0)] = 150
    fee_per_extra_km_cents: Annotated[int, Field(ge=0)] = 60
    vat_rates_bp: dict[VatClass, Annotated[int, Field(ge=0, le=10_000)]] = Field(
        default_factory=lambda: dict(FRENCH_RATES_BP),
        description="VAT per dish class in basis points (1000 = 10 %), as JSON; a class not "
        "named keeps its French rate",
    )
    delivery_vat_bp: Annotated[int, Field(ge=0, le=10_000)] = DELIVERY_RATE_BP
    """VAT on the delivery fee, in basis points."""
    meal_voucher_daily_cap_cents: Annotated[int, Field(ge=0, le=100_000)] = 2500
    """What a customer may pay in meal vouchers a day (the French cap: 25 €)."""
    alliance_name: Annotated[str, Field(min_length=1, max_length=120)] = "Chaud Devant"
    """Who sells, as receipts name it."""
    alliance_legal_name: Annotated[str, Field(max_length=200)] = ""
    """The alliance's registered name on its invoices (e.g. "Chaud Devant SCIC SAS")."""
    alliance_address: Annotated[str, Field(max_length=200)] = ""
    """Its registered address, on its invoices."""
    alliance_siret: Siret = ""
    """Its SIRET, on its invoices (checked by its check digit)."""
    alliance_vat_number: VatNumber = ""
    """Its intra-community VAT number (FR…), on its invoices."""
    max_body_bytes: Annotated[int, Field(ge=1024)] = 64 * 1024
    worker_threads: Annotated[int, Field(ge=1, le=200)] = 4
    dispatch_cycle_s: Annotated[float, Field(gt=0, le=3600)] = 30.0
    dispatch_time_limit_s: Annotated[float, Field(gt=0, le=60)] = 2.0
    dispatch_poll_s: Annotated[float, Field(gt=0, le=60)] = 1.0
    dispatch_zones_file: Path | None = Field(
        default=None,
        description="A GeoJSON FeatureCollection of named Polygons splitting the city into "
        "dispatch zones, one dispatcher each (`chaud zones suggest` writes one); unset: one zone",
    )
    dispatch_lend_reserve: Annotated[int, Field(ge=0, le=100)] = LEND_RESERVE
    """Idle couriers a zone keeps before it lends one to a zone whose orders wait."""
    dispatch_objective: Objective = DEFAULT_OBJECTIVE
    """click_to_door: every second to the door costs (hot food); promise: only lateness."""
    pickup_service_minutes: Annotated[float, Field(ge=0, le=30)] = 2.0
    dropoff_service_minutes: Annotated[float, Field(ge=0, le=30)] = 2.0
    hard_max_minutes: Annotated[int, Field(ge=10, le=600)] = 90
    ops_not_accepted_minutes: Annotated[float, Field(gt=0, le=120)] = 3.0
    """The board alerts on a ticket no kitchen has accepted within this."""
    ops_unassigned_minutes: Annotated[float, Field(gt=0, le=120)] = 5.0
    """… on an order no courier has this long after it was placed."""
    ops_kitchen_late_minutes: Annotated[float, Field(gt=0, le=120)] = 5.0
    """… on a kitchen this late against its start-cooking or ready time."""
    ops_stale_position_minutes: Annotated[float, Field(gt=0, le=120)] = 2.0
    """… on a courier on shift whose last position is this old."""
    metrics_token: SecretStr | None = Field(
        default=None, description="Bearer token Prometheus sends for /metrics; unset: no metrics"
    )
    arrival_radius_m: Annotated[float | None, Field(gt=0, le=5000)] = Field(
        default=150.0,
        description="A courier says Arrived or Delivered within this distance of the stop, or "
        "gives a reason the operator sees; unset (empty): no check",
    )
    courier_pay_hour_cents: Annotated[int, Field(ge=0, le=100_000)] = Field(
        default=1200, description="What a courier earns at least per hour of shift, in cents"
    )
    courier_pay_drop_cents: Annotated[int, Field(ge=0, le=100_000)] = Field(
        default=450,
        description="What a courier earns per order brought to a door or a relay shop, in "
        "cents; a shift pays the larger of its orders and its guaranteed hours",
    )
    smtp_host: str | None = Field(
        default=None, description="The mail server the customers' mails go through; unset: none"
    )
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = Field(
        default="Chaud Devant <commandes@chaud.localhost>",
        description="The From of the customers' mails",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Where customers reach the site (mail links)"
    )
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_json: bool = False
    timezone: str = "Europe/Paris"
    clock_start: datetime | None = Field(
        default=None,
        description="Run the service's clock from this moment (ISO 8601 with its offset), "
        "for demos and tests at any hour; development only",
    )

    @field_validator("vat_rates_bp", mode="after")
    @classmethod
    def _every_class_has_a_rate(cls, rates: dict[VatClass, int]) -> dict[VatClass, int]:
        return {**FRENCH_RATES_BP, **rates}

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, token: SecretStr | None) -> SecretStr | None:
        if token is None or not token.get_secret_value():
            return None  # empty (as compose passes an unset variable): no metrics
        if len(token.get_secret_value()) < MIN_METRICS_TOKEN:
            raise ValueError(f"at least {MIN_METRICS_TOKEN} characters")
        return token

    @field_validator("arrival_radius_m", mode="before")
    @classmethod
    def _no_radius(cls, radius: object) -> object:
        return None if radius == "" else radius

    @field_validator("smtp_host")
    @classmethod
    def _smtp_host(cls, host: str | None) -> str | None:
        return host or None  # empty (as compose passes an unset variable): no mail

    @field_validator("mail_from")
    @classmethod
    def _mail_from(cls, sender: str) -> str:
        _, address = parseaddr(sender)
        if "@" not in address:
            raise ValueError("an address such as 'Chaud Devant <commandes@example.org>'")
        return sender

    @field_validator("clock_start")
    @classmethod
    def _aware_clock(cls, start: datetime | None) -> datetime | None:
        if start is not None and start.tzinfo is None:
            raise ValueError("give the moment with its offset, e.g. 2026-11-27T19:30:00+01:00")
        return start

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, url: str) -> str:
        if not url:
            return url
        scheme = urlsplit(url).scheme
        if scheme not in SQLITE_SCHEMES | POSTGRES_SCHEMES:
            raise ValueError(
                f"unsupported scheme {scheme!r}: use sqlite:///path or postgresql+psycopg://..."
            )
        if scheme == "postgresql":
            # psycopg 3 is the driver we ship; SQLAlchemy would otherwise look for psycopg2.
            return "postgresql+psycopg" + url[len("postgresql") :]
        return url

    @field_validator("redis_url")
    @classmethod
    def _known_redis(cls, url: str | None) -> str | None:
        if not url:
            return None
        scheme = urlsplit(url).scheme
        if scheme not in REDIS_SCHEMES:
            raise ValueError(f"unsupported scheme {scheme!r}: use redis://host:port/db")
        return url

    @model_validator(mode="after")
    def _fill_and_check(self) -> Self:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'chaud.db').as_posix()}"
        self.secret_key = SecretStr(self._checked_secret())
        if self.environment != "development" and self.clock_start is not None:
            raise ValueError("clock_start: a moved clock is only allowed in development")
        missing = missing_networks(self.map_dir, self.map_name)
        if missing:
            raise ValueError(f"map_dir: missing map file {missing[0]} in {self.map_dir}")
        return self

    def _checked_secret(self) -> str:
        secret = self.secret_key.get_secret_value()
        if self.environment == "development":
            return secret or development_secret(self.data_dir)
        if not secret:
            raise ValueError(
                "secret_key: required in production: at least 32 random bytes, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        if len(secret.encode()) < MIN_SECRET_BYTES or len(set(secret)) < MIN_SECRET_SYMBOLS:
            raise ValueError(
                f"secret_key: too weak for production: give at least {MIN_SECRET_BYTES} random "
                "bytes, e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return secret

    @property
    def graph_cache_dir(self) -> Path:
        return self.cache_dir or self.data_dir / "cache"

    @property
    def profiles(self) -> dict[str, Profile]:
        return make_profiles(
            bike_kph=self.bike_kph,
            ebike_kph=self.ebike_kph,
            scooter_max_kph=self.scooter_max_kph,
            scooter_legal_speed_share=self.scooter_legal_speed_share,
            walk_kph=self.walk_kph,
        )

    @property
    def is_sqlite(self) -> bool:
        return urlsplit(self.database_url).scheme in SQLITE_SCHEMES


def development_secret(data_dir: Path) -> str:
    """This machine's development secret: made once at random, kept in data_dir (mode 0600).

    Several processes (API workers, the dispatcher) may start together: the file is written
    aside and linked into place, so each reads the one secret that won, never a partial file.
    """
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = data_dir / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: use its secret
        finally:
            draft.unlink()
    return path.read_text().strip()


def _one_line(error: ValidationError) -> str:
    """Name the first offending setting as its environment variable, with pydantic's reason."""
    first = error.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    location = [str(part) for part in first["loc"]]
    if location:
        return f"CHAUD_{location[0].upper()}: {message}"
    field, _, reason = message.partition(": ")
    return f"CHAUD_{field.upper()}: {reason}" if reason else message


def load_settings(**overrides: object) -> Settings:
    """Read the settings, or raise ConfigurationError with a one-line message."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise ConfigurationError(_one_line(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
