"""The ladder state as JSON, for the ``incidents.ladder`` column."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from hotline.domain.ladder import Ladder, LadderStatus, Target, Tier


def dump(ladder: Ladder) -> dict[str, Any]:
    data = asdict(ladder)
    data["status"] = ladder.status.value
    data["tried"] = [list(t) for t in ladder.tried]
    return data


def load(data: dict[str, Any]) -> Ladder:
    tiers = tuple(
        Tier(
            group=t["group"],
            targets=tuple(
                Target(**{**target, "sms": tuple(target.get("sms", ()))}) for target in t["targets"]
            ),
        )
        for t in data["tiers"]
    )
    return Ladder(
        tiers=tiers,
        ring_timeout=data["ring_timeout"],
        rounds=data["rounds"],
        round_delay=data["round_delay"],
        status=LadderStatus(data["status"]),
        round=data["round"],
        tier=data["tier"],
        position=data["position"],
        attempt=data["attempt"],
        reprompts=data["reprompts"],
        tried=tuple((t[0], t[1]) for t in data["tried"]),
    )
