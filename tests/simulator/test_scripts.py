"""Phone scripts: files, validation, what the phone says and presses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotline.simulator import PhoneScript
from hotline.simulator.audio import wav_duration

from .conftest import tone


def test_load_yaml_with_a_recording_next_to_it(tmp_path: Path) -> None:
    (tmp_path / "message.wav").write_bytes(tone(2.5))
    path = tmp_path / "agent.yaml"
    path.write_text(
        "mode: answer\nanswer_after: 3\ndigits: ['1', null, '12#']\nthink_time: 0.5\n"
        "hangup_after: 60\nhangup_at_prompt: 4\nrecording: message.wav\ntranscript: Disk full\n"
    )
    script = PhoneScript.load(path)
    assert script.answer_after == 3 and script.think_time == 0.5
    assert script.digits == ("1", None, "12#")
    assert [script.keys_at(i) for i in range(4)] == ["1", None, "12#", None]
    assert script.hangs_up_at(3) and not script.hangs_up_at(0)
    audio = script.audio()
    assert audio is not None and audio[1] == pytest.approx(2.5)
    assert script.transcript == "Disk full"


def test_load_json_and_round_trip_through_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "caller.json"
    path.write_text(json.dumps({"mode": "machine", "hangup_after": 5}))
    machine = PhoneScript.load(path)
    assert machine.mode == "machine"
    assert machine.keys_at(0) is None and machine.audio() is None
    wav = tone(1.0)
    script = PhoneScript(digits=["5"], recording=wav, recording_duration=9)
    mapping = script.to_mapping()
    assert mapping["digits"] == ["5"] and "recording_base64" in mapping
    again = PhoneScript.from_mapping(json.loads(json.dumps(mapping)))
    assert again.audio() == (wav, 9)


def test_audio_of_a_duration_alone_is_silence() -> None:
    audio = PhoneScript(recording_duration=4).audio()
    assert audio is not None
    assert wav_duration(audio[0]) == pytest.approx(4) and audio[1] == 4
    assert PhoneScript().audio() is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mode": "sleepy"}, "mode must be one of"),
        ({"answer_after": -1}, "answer_after"),
        ({"hangup_after": "soon"}, "hangup_after"),
        ({"hangup_at_prompt": 0}, "1-based"),
        ({"digits": ["1x"]}, "digits entries"),
        ({"digits": "123"}, "digits must be a list"),
        ({"volume": 11}, "unknown phone script setting 'volume'"),
        ({"recording_base64": "!!"}, "not valid base64"),
    ],
)
def test_bad_scripts_name_the_setting(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PhoneScript.from_mapping(data)


def test_a_script_is_a_mapping() -> None:
    with pytest.raises(ValueError, match="mapping"):
        PhoneScript.from_mapping(["answer"])  # type: ignore[arg-type]
