"""Request signing and connection overrides (spec §4, §5.2)."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from hotline.simulator.webhooks import Overrides, Webhooks, split_fragment


def test_signatures_match_twilio_python_test_vectors() -> None:
    hooks = Webhooks("12345")
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    assert hooks.sign("https://mycompany.com/myapp.php?foo=1&bar=2", params) == (
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    )
    url = "http://mycompany.com:1234/myapp.php?foo=1&bar=2"
    assert hooks.sign(url, params) == "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
    assert RequestValidator("12345").validate(url, params, hooks.sign(url, params))


def test_overrides_parse_and_validate() -> None:
    assert Overrides.parse("") == Overrides()
    custom = Overrides.parse("ct=2000&rt=5000&tt=9000&rc=2&rp=ct,5xx")
    assert (custom.connect, custom.read, custom.total, custom.retries) == (2.0, 5.0, 9.0, 2)
    assert custom.retry("5xx") and not custom.retry("4xx")
    assert Overrides.parse("rp=all").retry("4xx")
    for bad in ("ct=50", "rt=20000", "rc=6", "rp=sometimes", "tt=abc"):
        with pytest.raises(ValueError, match="invalid"):
            Overrides.parse(bad)


def test_split_fragment() -> None:
    assert split_fragment("https://a.test/v?x=1#rc=2") == ("https://a.test/v?x=1", "rc=2")
    assert split_fragment("https://a.test/v") == ("https://a.test/v", "")
