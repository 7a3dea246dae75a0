"""Signed, expiring recording links: pure, so everything here runs on fixed instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.adapters.links import RecordingLinks, is_recording_id

SECRET = b"recording-link-secret-0123456789"
OTHER_SECRET = b"another-secret-abcdefghijklmnop"
BASE = "https://hotline.example.com"
NOW = datetime(2026, 11, 21, 12, 0, 0, 250_000, tzinfo=UTC)
TTL = timedelta(days=7)
SIG_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def split(url: str) -> tuple[str, str, str, str]:
    """(base, recording id, expires, sig) of a link, checking its exact shape."""
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    prefix, _, recording_id = parts.path.rpartition("/")
    assert prefix.endswith("/recordings")
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert sorted(query) == ["expires", "sig"]
    assert parts.query == f"expires={query['expires'][0]}&sig={query['sig'][0]}"
    base += prefix.removesuffix("/recordings")
    return base, recording_id, query["expires"][0], query["sig"][0]


@pytest.fixture
def links() -> RecordingLinks:
    return RecordingLinks(SECRET, BASE)


def test_round_trip(links: RecordingLinks) -> None:
    url = links.url_for("RE0123456789abcdef", NOW)
    base, recording_id, expires, sig = split(url)
    assert base == BASE
    assert recording_id == "RE0123456789abcdef"
    assert int(expires) == int(NOW.timestamp()) + int(TTL.total_seconds())
    assert len(sig) == 43
    assert links.verify(recording_id, expires, sig, NOW)
    assert links.verify(recording_id, expires, sig, NOW + TTL - timedelta(seconds=1))


def test_url_shape_and_trailing_slash() -> None:
    links = RecordingLinks(SECRET, "http://127.0.0.1:8000/hotline/", ttl=timedelta(hours=1))
    url = links.url_for("abc", datetime(2026, 1, 1, tzinfo=UTC))
    expires = int(datetime(2026, 1, 1, 1, tzinfo=UTC).timestamp())
    assert url.startswith(f"http://127.0.0.1:8000/hotline/recordings/abc?expires={expires}&sig=")
    assert split(url)[0] == "http://127.0.0.1:8000/hotline"


def test_same_inputs_same_link(links: RecordingLinks) -> None:
    assert links.url_for("abc", NOW) == links.url_for("abc", NOW)
    assert links.url_for("abc", NOW) != links.url_for("abd", NOW)


def test_expiry_boundary(links: RecordingLinks) -> None:
    _, recording_id, expires, sig = split(links.url_for("rec", NOW))
    expiry = datetime.fromtimestamp(int(expires), UTC)
    assert links.verify(recording_id, expires, sig, expiry - timedelta(microseconds=1))
    assert not links.verify(recording_id, expires, sig, expiry)
    assert not links.verify(recording_id, expires, sig, expiry + timedelta(days=365))


def test_other_time_zones_are_the_same_instant(links: RecordingLinks) -> None:
    paris = timezone(timedelta(hours=1))
    assert links.url_for("rec", NOW) == links.url_for("rec", NOW.astimezone(paris))
    _, recording_id, expires, sig = split(links.url_for("rec", NOW))
    expiry = datetime.fromtimestamp(int(expires), UTC).astimezone(paris)
    assert not links.verify(recording_id, expires, sig, expiry)


def test_tampered_id(links: RecordingLinks) -> None:
    _, _, expires, sig = split(links.url_for("rec-1", NOW))
    assert not links.verify("rec-2", expires, sig, NOW)
    assert not links.verify("rec-1x", expires, sig, NOW)
    assert not links.verify("REC-1", expires, sig, NOW)


def test_tampered_expires(links: RecordingLinks) -> None:
    _, recording_id, expires, sig = split(links.url_for("rec", NOW))
    later = str(int(expires) + 86_400)
    assert not links.verify(recording_id, later, sig, NOW)
    assert not links.verify(recording_id, str(int(expires) - 1), sig, NOW)
    # Another spelling of the same number is not the signed string.
    assert not links.verify(recording_id, "0" + expires, sig, NOW)
    assert not links.verify(recording_id, "+" + expires, sig, NOW)
    assert not links.verify(recording_id, f" {expires}", sig, NOW)


def test_tampered_sig(links: RecordingLinks) -> None:
    _, recording_id, expires, sig = split(links.url_for("rec", NOW))
    other = links.url_for("other", NOW)
    assert not links.verify(recording_id, expires, split(other)[3], NOW)
    assert not links.verify(recording_id, expires, sig[:-1], NOW)
    assert not links.verify(recording_id, expires, sig + "=", NOW)
    assert not links.verify(recording_id, expires, sig.swapcase(), NOW)


def test_wrong_secret(links: RecordingLinks) -> None:
    _, recording_id, expires, sig = split(links.url_for("rec", NOW))
    assert not RecordingLinks(OTHER_SECRET, BASE).verify(recording_id, expires, sig, NOW)
    # The base URL is not part of the signature: another replica with the secret agrees.
    assert RecordingLinks(SECRET, "http://other.example").verify(recording_id, expires, sig, NOW)


@pytest.mark.parametrize(
    ("recording_id", "expires", "sig"),
    [
        ("", "1800000000", "A" * 43),
        ("a" * 65, "1800000000", "A" * 43),
        ("../etc/passwd", "1800000000", "A" * 43),
        ("rec:1", "1800000000", "A" * 43),
        ("rec\n", "1800000000", "A" * 43),
        ("réc", "1800000000", "A" * 43),
        ("rec", "", "A" * 43),
        ("rec", "-1", "A" * 43),
        ("rec", "1e9", "A" * 43),
        ("rec", "1_800_000_000", "A" * 43),
        ("rec", "١٨٠٠٠٠٠٠٠٠", "A" * 43),
        ("rec", "9" * 13, "A" * 43),
        ("rec", "1800000000", ""),
        ("rec", "1800000000", "A" * 42),
        ("rec", "1800000000", "A" * 44),
        ("rec", "1800000000", "A" * 42 + "="),
        ("rec", "1800000000", "A" * 42 + "+"),
        ("rec", "1800000000", "A" * 42 + "é"),
    ],
)
def test_malformed_input_is_rejected(
    links: RecordingLinks, recording_id: str, expires: str, sig: str
) -> None:
    assert not links.verify(recording_id, expires, sig, NOW)


def test_none_parts_are_rejected(links: RecordingLinks) -> None:
    _, recording_id, expires, sig = split(links.url_for("rec", NOW))
    assert not links.verify(None, expires, sig, NOW)  # type: ignore[arg-type]
    assert not links.verify(recording_id, None, sig, NOW)  # type: ignore[arg-type]
    assert not links.verify(recording_id, expires, None, NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize("recording_id", ["", "a/b", "a?b", "a b", "a%2F", "x" * 65, "ü"])
def test_unsafe_ids_cannot_get_a_link(links: RecordingLinks, recording_id: str) -> None:
    with pytest.raises(ValueError, match="recording id") as raised:
        links.url_for(recording_id, NOW)
    assert SECRET.decode() not in str(raised.value)


def test_naive_now_is_refused(links: RecordingLinks) -> None:
    with pytest.raises(ValueError, match="aware"):
        links.url_for("rec", datetime(2026, 1, 1))
    _, recording_id, expires, sig = split(links.url_for("rec", NOW))
    with pytest.raises(ValueError, match="aware"):
        links.verify(recording_id, expires, sig, datetime(2026, 1, 1))


def test_before_the_epoch_is_refused(links: RecordingLinks) -> None:
    with pytest.raises(ValueError, match="range"):
        links.url_for("rec", datetime(1960, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("secret", "public_url", "ttl", "message"),
    [
        (b"short", BASE, TTL, "at least 16 bytes"),
        (b"", BASE, TTL, "at least 16 bytes"),
        (SECRET, "ftp://example.com", TTL, "http"),
        (SECRET, "example.com", TTL, "http"),
        (SECRET, "https://example.com/?a=1", TTL, "query"),
        (SECRET, "https://user:pw@example.com", TTL, "credentials"),
        (SECRET, BASE, timedelta(milliseconds=999), "ttl"),
        (SECRET, BASE, timedelta(seconds=-5), "ttl"),
    ],
)
def test_bad_construction(secret: bytes, public_url: str, ttl: timedelta, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        RecordingLinks(secret, public_url, ttl)
    assert SECRET.decode() not in str(raised.value)


def test_secret_is_not_in_repr(links: RecordingLinks) -> None:
    text = repr(links) + str(links)
    assert SECRET.decode() not in text
    assert "secret" not in text.lower()
    assert BASE in text
    assert links.ttl == TTL


def test_is_recording_id() -> None:
    assert is_recording_id("RE" + "0" * 32)
    assert is_recording_id("a-b_C9")
    assert not is_recording_id("a\n")
    assert not is_recording_id("a.b")


# --- properties ---------------------------------------------------------------------------

ids = st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)
instants = st.datetimes(
    min_value=datetime(1970, 1, 1),
    max_value=datetime(2300, 1, 1),
    timezones=st.just(UTC),
)
ttls = st.integers(min_value=1, max_value=400 * 86_400).map(lambda s: timedelta(seconds=s))


@given(recording_id=ids, made=instants, ttl=ttls, data=st.data())
def test_valid_until_expiry(
    recording_id: str, made: datetime, ttl: timedelta, data: st.DataObject
) -> None:
    links = RecordingLinks(SECRET, BASE, ttl)
    _, got_id, expires, sig = split(links.url_for(recording_id, made))
    assert got_id == recording_id
    expiry = datetime.fromtimestamp(int(expires), UTC)
    assert made < expiry <= made + ttl
    before = data.draw(st.datetimes(min_value=made.replace(tzinfo=None), timezones=st.just(UTC)))
    before = min(before, expiry - timedelta(microseconds=1))
    assert links.verify(recording_id, expires, sig, before)
    assert not links.verify(recording_id, expires, sig, expiry)


@given(recording_id=ids, made=instants, data=st.data())
def test_any_single_character_change_of_sig_fails(
    recording_id: str, made: datetime, data: st.DataObject
) -> None:
    links = RecordingLinks(SECRET, BASE)
    _, _, expires, sig = split(links.url_for(recording_id, made))
    position = data.draw(st.integers(min_value=0, max_value=len(sig) - 1))
    replacement = data.draw(
        (st.sampled_from(SIG_ALPHABET) | st.characters()).filter(lambda c: c != sig[position])
    )
    changed = sig[:position] + replacement + sig[position + 1 :]
    assert changed != sig
    assert not links.verify(recording_id, expires, changed, made)


@given(recording_id=ids, made=instants, data=st.data())
def test_any_single_character_change_of_id_fails(
    recording_id: str, made: datetime, data: st.DataObject
) -> None:
    links = RecordingLinks(SECRET, BASE)
    _, _, expires, sig = split(links.url_for(recording_id, made))
    position = data.draw(st.integers(min_value=0, max_value=len(recording_id) - 1))
    replacement = data.draw(
        st.sampled_from(SIG_ALPHABET).filter(lambda c: c != recording_id[position])
    )
    changed = recording_id[:position] + replacement + recording_id[position + 1 :]
    assert not links.verify(changed, expires, sig, made)


@given(
    recording_id=st.text(max_size=80),
    expires=st.text(max_size=20),
    sig=st.text(max_size=50),
    now=instants,
)
def test_arbitrary_input_never_crashes(
    recording_id: str, expires: str, sig: str, now: datetime
) -> None:
    assert RecordingLinks(SECRET, BASE).verify(recording_id, expires, sig, now) is False
