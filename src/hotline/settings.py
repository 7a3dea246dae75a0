"""Hotline's settings: one typed object, read once at start-up.

Sources, highest priority first: keyword arguments (tests), environment variables, then the
YAML file named by ``HOTLINE_CONFIG``. In that file a setting is written either under its
environment name (``HOTLINE_PUBLIC_URL``) or its field name (``public_url``). Secrets are
``SecretStr``: they never show in ``repr``, logs or error messages.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import phonenumbers
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from hotline.domain.bridge import BridgePhrases
from hotline.domain.errors import Invalid
from hotline.domain.hotline_config import Phrases
from hotline.domain.phrasebook import with_overrides

CONFIG_ENV = "HOTLINE_CONFIG"
TWILIO_API_DEFAULT = "https://api.twilio.com"
SIMULATOR_MOUNT = "/simulator"
DEMO_PHONE_NUMBER = "+12025550100"
DEFAULT_KEEP_DAYS = 90  # kept recordings, unless HOTLINE_RECORDING_KEEP_DAYS says otherwise


HotlineAction = Literal["alert", "conference", "incident", "live-call", "join-bridge"]


class SettingsError(Exception):
    """Start-up must stop: the message names each bad setting and why, never its value."""


def _env(name: str) -> Any:
    return Field(validation_alias=name)


class PagePhrases(BaseModel):
    """What an agent hears in a page-out call. Placeholders: {name}, {number}, {severity},
    {severity_name}, {title}, {status}, {assignee}. Set in the YAML file under
    ``page_phrases``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    greeting: str = (
        "Hello {name}. This is Hotline, calling about an urgent incident. Press any key to hear it."
    )
    details: str = "Incident {number}. Severity {severity}, {severity_name}. {title}."
    menu: str = (
        "Press 1 to accept it. Press 2 to pass it to the next person. "
        "Press 3 to escalate it to the next tier. Press 9 to hear this again."
    )
    invalid: str = "Sorry, that is not one of the choices."
    accepted: str = "Thank you, {name}. Incident {number} is now yours. Goodbye."
    passed: str = "Understood. We will call the next person. Goodbye."
    escalated: str = "Understood. We are escalating to the next tier. Goodbye."
    goodbye: str = "We did not get a choice, so we will try someone else. Goodbye."
    stale: str = "Incident {number} does not need you any more: it is {status}. Goodbye."
    unknown: str = "This call is no longer needed. Goodbye."
    last: str = (
        "There is nobody else to call, so the incident stays open and the people called "
        "will be told. Goodbye."
    )

    @model_validator(mode="after")
    def _placeholders(self) -> PagePhrases:
        """A typo in a placeholder must stop start-up, not every page-out call."""
        sample = dict.fromkeys(
            ("name", "number", "severity", "severity_name", "title", "status", "assignee"), "x"
        )
        for name, text in self.model_dump().items():
            try:
                text.format(**sample)
            except (KeyError, IndexError, ValueError) as error:
                raise ValueError(f"page_phrases.{name}: bad placeholder {error}") from None
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        case_sensitive=True, populate_by_name=True, extra="forbid", frozen=True
    )

    # repr=False: a PostgreSQL URL may carry a password.
    database_url: str = Field(
        "sqlite:///./hotline.db", validation_alias="HOTLINE_DATABASE_URL", repr=False
    )
    public_url: str = Field("http://127.0.0.1:8000", validation_alias="HOTLINE_PUBLIC_URL")
    carrier: Literal["simulator", "twilio"] = Field("simulator", validation_alias="HOTLINE_CARRIER")
    api_token: SecretStr | None = Field(None, validation_alias="HOTLINE_API_TOKEN")
    # How many changing API requests run at once (the rest wait): calls under way first.
    api_concurrency: int = Field(1, ge=1, le=1000, validation_alias="HOTLINE_API_CONCURRENCY")
    default_region: str = Field("US", validation_alias="HOTLINE_DEFAULT_REGION")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias="HOTLINE_LOG_LEVEL"
    )
    sqlite_busy_timeout_ms: int = Field(
        10_000, ge=100, le=600_000, validation_alias="HOTLINE_SQLITE_BUSY_TIMEOUT_MS"
    )
    twilio_account_sid: str | None = Field(None, validation_alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: SecretStr | None = Field(None, validation_alias="TWILIO_AUTH_TOKEN")
    twilio_phone_number: str | None = Field(None, validation_alias="TWILIO_PHONE_NUMBER")
    twilio_auth_token_secondary: SecretStr | None = Field(
        None, validation_alias="TWILIO_AUTH_TOKEN_SECONDARY"
    )
    # None: Twilio's API in twilio mode, the in-process simulator in simulator mode.
    twilio_api_base_url: str | None = Field(None, validation_alias="TWILIO_API_BASE_URL")
    simulator_time_scale: float = Field(
        1.0, gt=0, le=100, validation_alias="HOTLINE_SIMULATOR_TIME_SCALE"
    )
    tts_voice: str = Field("Polly.Joanna", min_length=1, validation_alias="HOTLINE_TTS_VOICE")
    tts_language: str = Field("en-US", min_length=2, validation_alias="HOTLINE_TTS_LANGUAGE")
    page_human_check: bool = Field(True, validation_alias="HOTLINE_PAGE_HUMAN_CHECK")
    page_machine_detection: bool = Field(False, validation_alias="HOTLINE_PAGE_MACHINE_DETECTION")
    page_menu_timeout: int = Field(10, ge=3, le=60, validation_alias="HOTLINE_PAGE_MENU_TIMEOUT")
    page_phrases: PagePhrases = Field(default_factory=PagePhrases, validation_alias="page_phrases")
    hotline_callers: Literal["everyone", "directory", "groups"] = Field(
        "directory", validation_alias="HOTLINE_CALLERS"
    )
    hotline_caller_groups: list[str] = Field(
        default_factory=list, validation_alias="hotline_caller_groups"
    )
    hotline_require_pin: bool = Field(False, validation_alias="HOTLINE_REQUIRE_PIN")
    hotline_withheld_callers: Literal["refuse", "ask"] = Field(
        "refuse", validation_alias="HOTLINE_WITHHELD_CALLERS"
    )
    hotline_require_stir_shaken: bool = Field(False, validation_alias="HOTLINE_REQUIRE_STIR_SHAKEN")
    hotline_caller_rate_limit: int = Field(
        10, ge=0, le=10_000, validation_alias="HOTLINE_CALLER_RATE_LIMIT"
    )
    hotline_caller_rate_window: int = Field(
        600, ge=1, le=86_400, validation_alias="HOTLINE_CALLER_RATE_WINDOW"
    )
    # Every sentence of the call-in line and of conference bridges (YAML only; see README).
    hotline_phrases: dict[str, Any] = Field(
        default_factory=dict, validation_alias="hotline_phrases"
    )
    bridge_phrases: dict[str, str] = Field(default_factory=dict, validation_alias="bridge_phrases")
    hotline_actions: list[HotlineAction] = Field(
        default_factory=lambda: list[HotlineAction](["alert", "incident"]),
        min_length=1,
        validation_alias="hotline_actions",
    )
    hotline_groups: list[str] = Field(
        default_factory=list, max_length=9, validation_alias="hotline_groups"
    )
    hotline_default_severity: int | None = Field(
        None, ge=1, le=5, validation_alias="HOTLINE_DEFAULT_SEVERITY"
    )
    hotline_max_recording: int = Field(90, ge=5, le=600, validation_alias="HOTLINE_MAX_RECORDING")
    hotline_menu_timeout: int = Field(8, ge=3, le=60, validation_alias="HOTLINE_MENU_TIMEOUT")
    transcript_wait: int = Field(45, ge=0, le=600, validation_alias="HOTLINE_TRANSCRIPT_WAIT")
    # Conference bridges: how long the caller waits for a first joiner before the group is
    # sent the code, how long a bridge stays open, how long an invitation rings.
    bridge_join_wait: int = Field(120, ge=10, le=3600, validation_alias="HOTLINE_BRIDGE_JOIN_WAIT")
    bridge_lifetime: int = Field(
        240, ge=5, le=24 * 60, validation_alias="HOTLINE_BRIDGE_LIFETIME_MINUTES"
    )
    bridge_ring_timeout: int = Field(
        30, ge=5, le=120, validation_alias="HOTLINE_BRIDGE_RING_TIMEOUT"
    )
    # Hold audio played to waiting callers; empty: Hotline's own (/voice/hold.wav).
    hold_audio_url: str = Field("", validation_alias="HOTLINE_HOLD_AUDIO_URL")
    wait_mode: Literal["joke", "phrase", "static"] = Field(
        "static", validation_alias="HOTLINE_WAIT_MODE"
    )
    wait_phrases: list[str] = Field(
        default_factory=lambda: ["Still working on your message. Thank you for holding."],
        min_length=1,
        validation_alias="wait_phrases",
    )
    # Live call (talk to a group's on-call person now): how many people are tried, ring and
    # "press any key" times, and the bound on the whole hunt (seconds). The caller holds to
    # HOTLINE_HOLD_AUDIO_URL.
    live_call_max_people: int = Field(
        3, ge=1, le=20, validation_alias="HOTLINE_LIVE_CALL_MAX_PEOPLE"
    )
    live_call_ring_timeout: int = Field(
        60, ge=5, le=600, validation_alias="HOTLINE_LIVE_CALL_RING_TIMEOUT"
    )
    live_call_check_timeout: int = Field(
        15, ge=3, le=60, validation_alias="HOTLINE_LIVE_CALL_CHECK_TIMEOUT"
    )
    live_call_max_duration: int = Field(
        300, ge=30, le=3600, validation_alias="HOTLINE_LIVE_CALL_MAX_DURATION"
    )
    servicenow_policies: dict[str, str] = Field(
        default_factory=dict, validation_alias="servicenow_policies"
    )
    servicenow_default_policy: str = Field("default", validation_alias="SERVICENOW_DEFAULT_POLICY")
    smtp_host: str | None = Field(None, validation_alias="HOTLINE_SMTP_HOST")
    smtp_port: int = Field(25, ge=1, le=65535, validation_alias="HOTLINE_SMTP_PORT")
    smtp_username: str | None = Field(None, validation_alias="HOTLINE_SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(None, validation_alias="HOTLINE_SMTP_PASSWORD")
    smtp_from: str = Field("hotline@localhost", validation_alias="HOTLINE_SMTP_FROM")
    smtp_starttls: bool = Field(False, validation_alias="HOTLINE_SMTP_STARTTLS")
    smtp_tls: bool = Field(False, validation_alias="HOTLINE_SMTP_TLS")
    servicenow_instance_url: str | None = Field(None, validation_alias="SERVICENOW_INSTANCE_URL")
    servicenow_username: str | None = Field(None, validation_alias="SERVICENOW_USERNAME")
    servicenow_password: SecretStr | None = Field(None, validation_alias="SERVICENOW_PASSWORD")
    servicenow_webhook_secret: SecretStr | None = Field(
        None, validation_alias="SERVICENOW_WEBHOOK_SECRET"
    )
    # The URL of an xMatters inbound trigger; it carries the trigger's apiKey, so it is a secret.
    xmatters_trigger_url: SecretStr | None = Field(None, validation_alias="XMATTERS_TRIGGER_URL")
    # Web dashboard: the key signing session cookies (unset: a random key generated once and
    # kept in the database, shared by every replica) and how long a login lasts.
    session_secret: SecretStr | None = Field(None, validation_alias="HOTLINE_SESSION_SECRET")
    session_hours: float = Field(12, gt=0, le=24 * 30, validation_alias="HOTLINE_SESSION_HOURS")
    # Mark cookies Secure; default: when HOTLINE_PUBLIC_URL is https.
    cookie_secure: bool | None = Field(None, validation_alias="HOTLINE_COOKIE_SECURE")
    # Call-in recordings: who transcribes them (the carrier, or Hotline itself with the
    # optional pocketsphinx engine), how long their signed links last, the key signing those
    # links (unset: derived from TWILIO_AUTH_TOKEN), and Bitly for short links in SMS.
    hotline_transcriber: Literal["carrier", "local"] = Field(
        "carrier", validation_alias="HOTLINE_TRANSCRIBER"
    )
    recording_link_days: float = Field(
        7, gt=0, le=366, validation_alias="HOTLINE_RECORDING_LINK_DAYS"
    )
    # Kept recordings are deleted this many days after the call (0: kept for ever; unset:
    # 90, or the links' life when that is longer); at least as long as a link lasts, so the
    # links sent out with a message keep working.
    recording_keep_days: float | None = Field(
        None, ge=0, le=3660, validation_alias="HOTLINE_RECORDING_KEEP_DAYS"
    )
    recording_link_secret: SecretStr | None = Field(
        None, validation_alias="HOTLINE_RECORDING_LINK_SECRET"
    )
    bitly_token: SecretStr | None = Field(None, validation_alias="BITLY_TOKEN")
    bitly_api_url: str = Field(
        "https://api-ssl.bitly.com/v4/shorten", validation_alias="BITLY_API_URL"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _YamlSource(settings_cls)

    @model_validator(mode="after")
    def _recordings_outlive_links(self) -> Settings:
        keep, link = self.recording_keep_days, self.recording_link_days
        if keep and keep < link:
            raise ValueError(
                f"HOTLINE_RECORDING_KEEP_DAYS ({keep:g}) must be 0 (keep for ever) or at least "
                f"HOTLINE_RECORDING_LINK_DAYS ({link:g}): the links sent out must keep working"
            )
        return self

    @field_validator("public_url", "twilio_api_base_url", "servicenow_instance_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        if parts.username or parts.password:
            raise ValueError("must not contain credentials")
        return value.rstrip("/")

    @field_validator("xmatters_trigger_url")
    @classmethod
    def _trigger_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        parts = urlsplit(value.get_secret_value())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].split("+", 1)[0]
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("default_region")
    @classmethod
    def _region(cls, value: str) -> str:
        if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("must be a two-letter region code such as US or GB")
        return value.upper()

    @field_validator("twilio_phone_number")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parsed = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            raise ValueError("must be a phone number in +E.164 form") from None
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    @field_validator("twilio_account_sid")
    @classmethod
    def _account_sid(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"AC[0-9a-fA-F]{32}", value):
            raise ValueError("must be AC followed by 32 hexadecimal characters")
        return value

    @field_validator("api_token", "servicenow_webhook_secret")
    @classmethod
    def _strong(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters long")
        return value

    @field_validator("recording_link_secret")
    @classmethod
    def _link_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters long")
        return value

    @field_validator("bitly_api_url")
    @classmethod
    def _bitly_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.password:
            raise ValueError("must be an http:// or https:// URL without credentials")
        return value

    @field_validator("session_secret")
    @classmethod
    def _session_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters long")
        return value

    @field_validator("hotline_phrases", "bridge_phrases")
    @classmethod
    def _phrases(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        base = Phrases() if info.field_name == "hotline_phrases" else BridgePhrases()
        try:
            with_overrides(base, value)
        except Invalid as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("hotline_actions", "hotline_groups", "hotline_caller_groups")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each entry may appear only once")
        return value

    @model_validator(mode="after")
    def _twilio_complete(self) -> Settings:
        if self.carrier == "twilio":
            missing = [
                env
                for env, value in (
                    ("TWILIO_ACCOUNT_SID", self.twilio_account_sid),
                    ("TWILIO_AUTH_TOKEN", self.twilio_auth_token),
                    ("TWILIO_PHONE_NUMBER", self.twilio_phone_number),
                )
                if not value
            ]
            if missing:
                raise ValueError("HOTLINE_CARRIER=twilio also needs " + ", ".join(missing))
        return self

    @property
    def in_process_simulator(self) -> bool:
        """Demo mode: the simulator runs inside ``hotline serve`` at ``/simulator``."""
        return self.carrier == "simulator" and self.twilio_api_base_url is None

    @property
    def carrier_api_url(self) -> str:
        if self.twilio_api_base_url is not None:
            return self.twilio_api_base_url
        if self.carrier == "simulator":
            return self.public_url + SIMULATOR_MOUNT
        return TWILIO_API_DEFAULT

    @property
    def recording_keep(self) -> timedelta | None:
        """How long kept recordings stay (None: for ever)."""
        days = self.recording_keep_days
        if days is None:
            days = max(DEFAULT_KEEP_DAYS, self.recording_link_days)
        return timedelta(days=days) if days else None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class _YamlSource(PydanticBaseSettingsSource):
    """Reads the YAML file named by ``HOTLINE_CONFIG``; keys are env names or field names."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self._data = self._load()

    def _load(self) -> dict[str, Any]:
        path = os.environ.get(CONFIG_ENV)
        if not path:
            return {}
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise SettingsError(f"{CONFIG_ENV}: cannot read {path}: {error.strerror}") from None
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark else ""
            raise SettingsError(f"{CONFIG_ENV}: {path}{where} is not valid YAML") from None
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise SettingsError(f"{CONFIG_ENV}: {path} must hold a mapping of settings")
        by_alias = {
            str(f.validation_alias): name for name, f in self.settings_cls.model_fields.items()
        }
        data: dict[str, Any] = {}
        for key, value in raw.items():
            name = by_alias.get(str(key), str(key))
            if name not in self.settings_cls.model_fields:
                raise SettingsError(f"{CONFIG_ENV}: unknown setting {key!r} in {path}")
            data[str(self.settings_cls.model_fields[name].validation_alias)] = value
        return data

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(str(field.validation_alias)), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings once. Raises :class:`SettingsError` with a message safe to print."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        aliases = {name: str(f.validation_alias) for name, f in Settings.model_fields.items()}
        lines = []
        for problem in error.errors(include_input=False, include_url=False):
            loc = problem["loc"]
            name = aliases.get(str(loc[0]), str(loc[0])) if loc else "settings"
            message = problem["msg"].removeprefix("Value error, ")
            lines.append(f"{name}: {message}")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None
