"""Response shapes of the REST API (inputs are in ``hotline.services.inputs``)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from hotline.domain import directory as d
from hotline.domain.oncall import OnCall


class PhoneOut(BaseModel):
    number: str
    voice: bool
    sms: bool


class PersonOut(BaseModel):
    name: str
    spoken_name: str | None
    email: str | None
    phones: list[PhoneOut]
    has_pin: bool
    servicenow_user_id: str | None
    active: bool

    @classmethod
    def of(cls, p: d.Person) -> PersonOut:
        return cls(
            name=p.name,
            spoken_name=p.spoken_name,
            email=p.email,
            phones=[PhoneOut(number=x.number, voice=x.voice, sms=x.sms) for x in p.phones],
            has_pin=p.pin_hash is not None,
            servicenow_user_id=p.servicenow_user_id,
            active=p.active,
        )


class MemberOut(BaseModel):
    person: str | None = None
    group: str | None = None
    rotation: str | None = None
    phone: str | None = None
    label: str | None = None


def _member(m: d.Member) -> MemberOut:
    if isinstance(m, d.PersonMember):
        return MemberOut(person=m.person)
    if isinstance(m, d.GroupMember):
        return MemberOut(group=m.group)
    if isinstance(m, d.RotationMember):
        return MemberOut(rotation=m.rotation)
    return MemberOut(phone=m.number, label=m.label)


class GroupOut(BaseModel):
    name: str
    spoken_name: str | None
    members: list[MemberOut]

    @classmethod
    def of(cls, g: d.Group) -> GroupOut:
        return cls(name=g.name, spoken_name=g.spoken_name, members=[_member(m) for m in g.members])


class RotationOut(BaseModel):
    name: str
    participants: list[str]
    start: date
    shift_length: int
    shift_unit: d.ShiftUnit
    handoff: str
    timezone: str

    @classmethod
    def of(cls, r: d.Rotation) -> RotationOut:
        return cls(
            name=r.name,
            participants=list(r.participants),
            start=r.start,
            shift_length=r.shift_length,
            shift_unit=r.shift_unit,
            handoff=r.handoff.strftime("%H:%M"),
            timezone=r.timezone,
        )


class AbsenceOut(BaseModel):
    id: int
    person: str
    starts_at: datetime
    ends_at: datetime
    replacement: str | None
    reason: str | None

    @classmethod
    def of(cls, a: d.Absence) -> AbsenceOut:
        assert a.id is not None
        return cls(
            id=a.id,
            person=a.person,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            replacement=a.replacement,
            reason=a.reason,
        )


class PolicyOut(BaseModel):
    name: str
    tiers: list[str]
    ring_timeout: int
    rounds: int
    round_delay: int

    @classmethod
    def of(cls, p: d.EscalationPolicy) -> PolicyOut:
        return cls(
            name=p.name,
            tiers=list(p.tiers),
            ring_timeout=p.ring_timeout,
            rounds=p.rounds,
            round_delay=p.round_delay,
        )


class OnCallEntry(BaseModel):
    name: str
    phone: str

    @classmethod
    def of(cls, o: OnCall) -> OnCallEntry:
        return cls(name=o.name, phone=o.phone)


class OnCallOut(BaseModel):
    group: str
    at: datetime
    oncall: list[OnCallEntry]


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail
