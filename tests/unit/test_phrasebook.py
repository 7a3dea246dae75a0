"""Phrases from configuration: overrides, nested groups, and typos refused at start-up."""

from __future__ import annotations

import pytest

from hotline.domain.bridge import BridgePhrases
from hotline.domain.errors import Invalid
from hotline.domain.hotline_config import Phrases
from hotline.domain.phrasebook import with_overrides
from hotline.settings import SettingsError, load_settings


def test_overrides_replace_only_the_named_phrases() -> None:
    phrases = with_overrides(
        Phrases(), {"menu_intro": "Ops line.", "alert": {"label": "a page to a team"}}
    )
    assert phrases.menu_intro == "Ops line."
    assert phrases.alert.label == "a page to a team"
    assert phrases.alert.done == Phrases().alert.done
    assert phrases.invalid == Phrases().invalid


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"menu_intr": "x"}, "menu_intr"),
        ({"alert": {"lable": "x"}}, "alert.lable"),
        ({"alert": "x"}, "alert"),
        ({"invalid": 3}, "invalid"),
    ],
)
def test_a_typo_or_a_wrong_type_names_the_key(overrides: dict[str, object], path: str) -> None:
    with pytest.raises(Invalid) as error:
        with_overrides(Phrases(), overrides)
    assert error.value.field == path


def test_settings_refuse_unknown_phrases_and_accept_known_ones() -> None:
    settings = load_settings(hotline_phrases={"give_up": "Bye."}, bridge_phrases={"ended": "Over."})
    assert with_overrides(BridgePhrases(), settings.bridge_phrases).ended == "Over."
    with pytest.raises(SettingsError, match="hotline_phrases"):
        load_settings(hotline_phrases={"nope": "x"})
