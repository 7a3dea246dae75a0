"""Input shapes shared by the REST API and the directory importer (one contract, one parser)."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from hotline.domain.directory import ShiftUnit

Name = Annotated[str, Field(min_length=1, max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PhoneIn(_In):
    number: str = Field(min_length=2, max_length=40, examples=["+14155550100"])
    voice: bool = True
    sms: bool = False


class PersonIn(_In):
    name: Name
    spoken_name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)
    phones: list[PhoneIn] = Field(default_factory=list, max_length=10)
    pin: str | None = Field(
        None, pattern=r"^[0-9]{4,12}$", description="Hotline PIN; write-only, stored hashed"
    )
    servicenow_user_id: str | None = Field(None, max_length=64)
    active: bool = True


class MemberIn(_In):
    """Exactly one of ``person``, ``group``, ``rotation`` or ``phone`` (with optional label)."""

    person: str | None = None
    group: str | None = None
    rotation: str | None = None
    phone: str | None = None
    label: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [k for k in ("person", "group", "rotation", "phone") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("a member names exactly one of person, group, rotation or phone")
        if self.label is not None and self.phone is None:
            raise ValueError("label is only for phone members")
        return self


class GroupIn(_In):
    name: Name
    spoken_name: str | None = Field(None, max_length=200)
    members: list[MemberIn] = Field(default_factory=list, max_length=1000)


class RotationIn(_In):
    name: Name
    participants: list[str] = Field(min_length=1, max_length=1000)
    start: date
    shift_length: int = Field(1, ge=1, le=10_000)
    shift_unit: ShiftUnit = ShiftUnit.WEEKS
    handoff: time = Field(time(9, 0), description="local hand-off time, HH:MM")
    timezone: str = "UTC"


class AbsenceIn(_In):
    person: Name
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    replacement: str | None = None
    reason: str | None = Field(None, max_length=500)


class PolicyIn(_In):
    name: Name
    tiers: list[str] = Field(min_length=1, max_length=20)
    ring_timeout: int = Field(30, ge=5, le=600)
    rounds: int = Field(2, ge=1, le=10)
    round_delay: int = Field(60, ge=0, le=3600)


class DirectoryDocument(_In):
    """A whole directory file (Hotline YAML format; the seed JSON is converted to it)."""

    people: list[PersonIn] = Field(default_factory=list)
    rotations: list[RotationIn] = Field(default_factory=list)
    groups: list[GroupIn] = Field(default_factory=list)
    absences: list[AbsenceIn] = Field(default_factory=list)
    policies: list[PolicyIn] = Field(default_factory=list)


class IncidentIn(_In):
    """A new incident. Paging uses ``policy``, or a one-tier policy for ``group``, or the
    policy named ``default``."""

    title: str = Field(min_length=1, max_length=500)
    description: str | None = Field(None, max_length=20_000)
    severity: int = Field(ge=1, le=5, description="1 critical ... 5 minimal")
    group: str | None = None
    policy: str | None = None
    external_id: str | None = Field(None, max_length=64)
    dedup_key: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if self.group and self.policy:
            raise ValueError("give a group or a policy, not both")
        return self
