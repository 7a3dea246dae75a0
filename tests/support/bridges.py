"""A conference bridge to test with: Carol's, for the group "ops", opened at ``at``."""

from __future__ import annotations

from datetime import datetime, timedelta

from hotline.domain.bridge import Bridge, Invite


def a_bridge(
    at: datetime, *invites: Invite, room: str = "room", host_call: str = "CA-host"
) -> Bridge:
    """An open bridge with ``invites``: joinable for 4 hours, the join wait 2 minutes."""
    return Bridge(
        code="123456",
        group="ops",
        room=room,
        host_call=host_call,
        host="Carol",
        caller="+12025550131",
        transcript="help",
        recording="https://hotline/r/1",
        opened_at=at,
        join_deadline=at + timedelta(minutes=2),
        expires_at=at + timedelta(hours=4),
        invites=list(invites),
    )
