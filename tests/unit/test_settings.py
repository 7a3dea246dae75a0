"""Settings: env + YAML, clear errors naming the setting, secrets never shown."""

from __future__ import annotations

import pytest

from hotline.settings import SettingsError, load_settings

SECRET = "super-secret-token-value-123"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HOTLINE_CONFIG",
        "HOTLINE_API_TOKEN",
        "HOTLINE_CARRIER",
        "HOTLINE_PUBLIC_URL",
        "HOTLINE_DATABASE_URL",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_PHONE_NUMBER",
        "HOTLINE_DEFAULT_REGION",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    s = load_settings()
    assert s.carrier == "simulator"
    assert s.database_url == "sqlite:///./hotline.db"
    assert s.api_token is None
    assert s.is_sqlite


def test_env_overrides_yaml(tmp_path, monkeypatch) -> None:
    config = tmp_path / "hotline.yaml"
    config.write_text("public_url: https://from-file.example\nHOTLINE_DEFAULT_REGION: gb\n")
    monkeypatch.setenv("HOTLINE_CONFIG", str(config))
    assert load_settings().public_url == "https://from-file.example"
    assert load_settings().default_region == "GB"
    monkeypatch.setenv("HOTLINE_PUBLIC_URL", "https://from-env.example/")
    assert load_settings().public_url == "https://from-env.example"


def test_secrets_hidden_from_repr_and_errors(monkeypatch) -> None:
    monkeypatch.setenv("HOTLINE_API_TOKEN", SECRET)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", "postgresql://u:dbpassword@h/db")
    s = load_settings()
    assert SECRET not in repr(s) and SECRET not in str(s)
    assert "dbpassword" not in repr(s)
    assert s.api_token is not None and s.api_token.get_secret_value() == SECRET
    monkeypatch.setenv("HOTLINE_API_TOKEN", "short-secret")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "HOTLINE_API_TOKEN" in str(error.value)
    assert "short-secret" not in str(error.value)


@pytest.mark.parametrize(
    ("name", "value", "needle"),
    [
        ("HOTLINE_CARRIER", "fax", "HOTLINE_CARRIER"),
        ("HOTLINE_PUBLIC_URL", "ftp://x", "http"),
        ("HOTLINE_PUBLIC_URL", "https://u:p@x.example", "credentials"),
        ("HOTLINE_DATABASE_URL", "mysql://x", "sqlite"),
        ("HOTLINE_DEFAULT_REGION", "XX", "region"),
        ("TWILIO_PHONE_NUMBER", "not a number", "E.164"),
    ],
)
def test_bad_values_name_the_setting(monkeypatch, name, value, needle) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert name in str(error.value)
    assert needle in str(error.value)


def test_twilio_mode_needs_credentials(monkeypatch) -> None:
    monkeypatch.setenv("HOTLINE_CARRIER", "twilio")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "TWILIO_AUTH_TOKEN" in str(error.value)
    assert "TWILIO_PHONE_NUMBER" in str(error.value)


def test_yaml_problems(tmp_path, monkeypatch) -> None:
    config = tmp_path / "bad.yaml"
    monkeypatch.setenv("HOTLINE_CONFIG", str(config))
    config.write_text("nonsense_key: 1\n")
    with pytest.raises(SettingsError, match="unknown setting 'nonsense_key'"):
        load_settings()
    config.write_text("a: [1\n")
    with pytest.raises(SettingsError, match="not valid YAML"):
        load_settings()
    config.unlink()
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings()


def test_wait_settings(tmp_path, monkeypatch) -> None:
    config = tmp_path / "hotline.yaml"
    config.write_text("wait_phrases: [One moment., Nearly there.]\nwait_mode: phrase\n")
    monkeypatch.setenv("HOTLINE_CONFIG", str(config))
    monkeypatch.setenv("HOTLINE_TRANSCRIPT_WAIT", "30")
    s = load_settings()
    assert (s.wait_mode, s.wait_phrases, s.transcript_wait) == (
        "phrase",
        ["One moment.", "Nearly there."],
        30,
    )
    monkeypatch.setenv("HOTLINE_WAIT_MODE", "opera")
    with pytest.raises(SettingsError, match="HOTLINE_WAIT_MODE"):
        load_settings()
