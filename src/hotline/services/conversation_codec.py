"""A call-in conversation as stored JSON: only its dynamic fields, never the menu."""

from __future__ import annotations

from typing import Any

from hotline.domain import hotline_menu as hm
from hotline.domain.hotline_config import Action, Menu, MenuGroup


def dump(state: hm.Conversation) -> dict[str, Any]:
    """The dynamic fields of a conversation as JSON; the menu is rebuilt per request."""
    return {
        "stage": state.stage.value,
        "access": state.access.value,
        "number": state.number,
        "pin_tries": state.pin_tries,
        "retries": state.retries,
        "action": state.action.value if state.action else None,
        "group": state.group.name if state.group else None,
        "severity": state.severity,
        "recording": state.recording,
        "confirmed": state.confirmed,
        "code": state.code,
        "code_tries": state.code_tries,
    }


def load(data: dict[str, Any], menu: Menu) -> hm.Conversation:
    """A stored conversation under today's ``menu`` (a group that left it keeps its name)."""
    group_name = data.get("group")
    group = None
    if group_name is not None:
        group = next((g for g in menu.groups if g.name == group_name), MenuGroup(group_name))
    action = data.get("action")
    return hm.Conversation(
        menu=menu,
        stage=hm.Stage(data["stage"]),
        access=hm.Access(data["access"]),
        number=data.get("number"),
        pin_tries=int(data.get("pin_tries", 0)),
        retries=int(data.get("retries", 0)),
        action=Action(action) if action else None,
        group=group,
        severity=data.get("severity"),
        recording=data.get("recording"),
        confirmed=bool(data.get("confirmed", False)),
        code=data.get("code"),
        code_tries=int(data.get("code_tries", 0)),
    )
