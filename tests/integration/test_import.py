"""Directory importer tests at the service level, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hotline.bootstrap import Container
from hotline.ports import Saved
from hotline.services import pins
from hotline.services.importer import ImportFailed, ImportReport, import_directory, parse
from tests.conftest import NOW

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "directory.yaml"
SOURCE = "directory.yaml"


def counts(report: ImportReport) -> dict[str, tuple[int, int, int]]:
    """``{kind: (created, updated, unchanged)}``."""
    return {
        kind: (c[Saved.CREATED], c[Saved.UPDATED], c[Saved.UNCHANGED])
        for kind, c in report.counts.items()
    }


async def dump(container: Container) -> dict[str, Any]:
    """Everything stored, as domain values (people include their PIN hash)."""
    d = container.directory
    return {
        "people": await d.list_people(),
        "groups": await d.list_groups(),
        "rotations": await d.list_rotations(),
        "policies": await d.list_policies(),
        "absences": await d.list_absences(),
    }


async def load(container: Container, text: str, **kwargs: Any) -> ImportReport:
    return await import_directory(container.directory, parse(text, SOURCE), SOURCE, **kwargs)


async def names(container: Container, group: str, at: datetime = NOW) -> list[str]:
    return [e.name for e in await container.directory.oncall(group, at)]


FORWARD = """\
people:
  - name: Ada
    phones: [{number: "+12025550101"}]
  - name: Grace
    phones: [{number: "+12025550102"}]
  - name: Alan
    phones: [{number: "+12025550103"}]
rotations:
  - name: primary
    participants: [Alan]
    start: 2026-01-01
groups:
  - name: outer
    members:
      - group: middle
      - person: Ada
  - name: middle
    members:
      - group: inner
      - rotation: primary
  - name: inner
    members:
      - person: Grace
policies:
  - name: default
    tiers: [outer, inner]
"""


async def test_groups_may_reference_groups_defined_later(container):
    report = await load(container, FORWARD)
    assert counts(report) == {
        "people": (3, 0, 0),
        "rotations": (1, 0, 0),
        "groups": (3, 0, 0),
        "policies": (1, 0, 0),
    }
    assert report.changed
    outer = await container.directory.get_group("outer")
    assert [type(m).__name__ for m in outer.members] == ["GroupMember", "PersonMember"]
    assert await names(container, "outer") == ["Grace", "Alan", "Ada"]
    assert (await container.directory.get_policy("default")).tiers == ("outer", "inner")
    # and again: nothing changes, and the report says so
    again = await load(container, FORWARD)
    assert not again.changed
    assert counts(again) == {
        "people": (0, 0, 3),
        "rotations": (0, 0, 1),
        "groups": (0, 0, 3),
        "policies": (0, 0, 1),
    }
    assert "0 created, 0 updated, 3 unchanged" in again.summary()


async def test_reimport_changes_nothing_and_keeps_pin_hashes(container):
    text = EXAMPLE.read_text(encoding="utf-8")
    first = await load(container, text)
    assert counts(first) == {
        "people": (7, 0, 0),
        "rotations": (1, 0, 0),
        "groups": (3, 0, 0),
        "absences": (1, 0, 0),
        "policies": (1, 0, 0),
    }
    ada = await container.directory.get_person("Ada Lovelace")
    assert ada.pin_hash is not None and ada.pin_hash != "4321"
    assert pins.verify_pin(ada.pin_hash, "4321")
    assert (await container.directory.get_person("Grace Hopper")).pin_hash is None
    before = await dump(container)

    second = await load(container, text)
    assert not second.changed
    assert counts(second) == {
        "people": (0, 0, 7),
        "rotations": (0, 0, 1),
        "groups": (0, 0, 3),
        "absences": (0, 0, 1),
        "policies": (0, 0, 1),
    }
    assert (await container.directory.get_person("Ada Lovelace")).pin_hash == ada.pin_hash
    assert await dump(container) == before


async def test_a_changed_file_is_reported_as_updated(container):
    text = EXAMPLE.read_text(encoding="utf-8")
    await load(container, text)
    old_pin = (await container.directory.get_person("Ada Lovelace")).pin_hash
    changed = (
        text.replace("grace@example.com", "grace.hopper@example.com")
        .replace('pin: "4321"', 'pin: "8765"')
        .replace("  - person: Barbara Liskov\n      - person: Margaret", "  - person: Margaret")
        .replace("reason: holiday", "reason: conference")
    )
    assert changed.count("grace.hopper@") == 1 and "8765" in changed and "conference" in changed
    report = await load(container, changed)
    assert report.changed
    assert counts(report) == {
        "people": (0, 2, 5),
        "rotations": (0, 0, 1),
        "groups": (0, 1, 2),
        "absences": (0, 1, 0),
        "policies": (0, 0, 1),
    }
    grace = await container.directory.get_person("Grace Hopper")
    assert grace.email == "grace.hopper@example.com"
    new_pin = (await container.directory.get_person("Ada Lovelace")).pin_hash
    assert new_pin is not None and new_pin != old_pin
    assert pins.verify_pin(new_pin, "8765")
    escalation = await container.directory.get_group("escalation")
    assert [m.person for m in escalation.members] == ["Margaret Hamilton"]  # type: ignore[union-attr]
    [absence] = await container.directory.list_absences("Edsger Dijkstra")
    assert absence.reason == "conference"
    # entities missing from a file are left alone
    assert counts(await load(container, "people: []\n")) == {}
    assert len((await dump(container))["people"]) == 7


async def test_a_changed_rotation_is_reported_as_updated(container):
    text = EXAMPLE.read_text(encoding="utf-8")
    await load(container, text)
    changed = text.replace(
        "participants: [Ada Lovelace, Grace Hopper, Alan Turing]",
        "participants: [Grace Hopper, Ada Lovelace]",
    )
    report = await load(container, changed)
    assert counts(report)["rotations"] == (0, 1, 0)
    primary = await container.directory.get_rotation("primary")
    assert primary.participants == ("Grace Hopper", "Ada Lovelace")


async def test_a_changed_policy_is_reported_as_updated(container):
    text = EXAMPLE.read_text(encoding="utf-8")
    await load(container, text)
    report = await load(container, text.replace("ring_timeout: 30 ", "ring_timeout: 45 "))
    assert counts(report)["policies"] == (0, 1, 0)
    assert (await container.directory.get_policy("default")).ring_timeout == 45


PREFIX = """\
people:
  - name: Grace Hopper
    spoken_name: Amazing Grace
    email: grace@example.com
    phones:
      - {number: "(202) 555-0102", voice: true, sms: true}
  - name: Newcomer
    phones: [{number: "+12025550120"}]
    pin: "1111"
groups:
  - name: newcomers
    members: [{person: Newcomer}, {group: database}]
"""

# (text after PREFIX, the line holding the error, the expected problem). Policies, then
# absences, then groups are written last: everything before was already applied inside the
# transaction when the bad entry is found.
BAD_LAST = {
    "unknown policy tier": (
        "policies:\n  - name: new-policy\n    tiers: [agents, nowhere]\n",
        "    tiers: [agents, nowhere]",
        "policies[0].tiers (line {line}): unknown group 'nowhere'",
    ),
    "absence of an unknown person": (
        "absences:\n  - person: Nobody\n    starts_at: 2026-12-20T00:00:00Z\n"
        "    ends_at: 2026-12-21T00:00:00Z\n",
        "  - person: Nobody",
        "absences[0].person (line {line}): unknown person 'Nobody'",
    ),
    "absence ending before it starts": (
        "absences:\n  - person: Newcomer\n    starts_at: 2026-12-21T00:00:00Z\n"
        "    ends_at: 2026-12-20T00:00:00Z\n",
        "    starts_at: 2026-12-21T00:00:00Z",
        "absences[0].starts_at (line {line}): must be before ends_at",
    ),
    "nesting cycle in the last group": (
        "  - name: new-group\n    members: [{group: agents}]\n"
        "  - name: database\n    members: [{group: new-group}]\n",
        "  - name: database",
        "groups[2] (line {line}): group nesting cycle: database -> new-group -> agents -> database",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_LAST))
async def test_a_bad_last_entry_leaves_the_database_as_it_was(container, case):
    await load(container, EXAMPLE.read_text(encoding="utf-8"))
    before = await dump(container)
    tail, marker, message = BAD_LAST[case]
    text = PREFIX + tail
    line = text.splitlines().index(marker) + 1
    with pytest.raises(ImportFailed) as failed:
        await load(container, text)
    assert failed.value.problems == [message.format(line=line)]
    assert str(failed.value) == f"{SOURCE}: {message.format(line=line)}"
    assert await dump(container) == before
    # the good part of the file on its own is fine (so the failure was the last entry)
    assert (await load(container, PREFIX, dry_run=True)).changed


async def test_a_bad_file_on_an_empty_database_writes_nothing(container):
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "tiers: [agents, escalation]", "tiers: [agents, escalation, nowhere]"
    )
    with pytest.raises(ImportFailed) as failed:
        await load(container, text)
    [problem] = failed.value.problems
    line = next(i + 1 for i, x in enumerate(text.splitlines()) if "nowhere]" in x)
    assert problem == f"policies[0].tiers (line {line}): unknown group 'nowhere'"
    assert all(not v for v in (await dump(container)).values())


async def test_dry_run_reports_but_writes_nothing(container):
    report = await load(container, EXAMPLE.read_text(encoding="utf-8"), dry_run=True)
    assert counts(report)["people"] == (7, 0, 0)
    assert report.changed
    assert all(not v for v in (await dump(container)).values())


async def test_seed_json_becomes_two_groups_and_a_default_policy(container):
    seed = {
        "agent_list": [
            {"name": "Agent 1", "phone_no": "+12025550101", "role": "Support", "index": 2},
            {"name": "Agent 2", "phone_no": "(202) 555-0102", "role": "Support", "index": 1},
        ],
        "escalation_list": [
            {"name": "Director 1", "phone_no": "+12025550103", "role": "Director", "index": 0},
            {"name": "Agent 1", "phone_no": "+12025550101", "role": "Support", "index": 1},
        ],
    }
    report = await load(container, json.dumps(seed, indent=2))
    assert counts(report) == {"people": (3, 0, 0), "groups": (2, 0, 0), "policies": (1, 0, 0)}
    # array position is the calling order, "index" is ignored
    assert await names(container, "agents") == ["Agent 1", "Agent 2"]
    assert await names(container, "escalation") == ["Director 1", "Agent 1"]
    policy = await container.directory.get_policy("default")
    assert policy.tiers == ("agents", "escalation")
    assert (policy.ring_timeout, policy.rounds, policy.round_delay) == (30, 2, 60)
    agent = await container.directory.get_person("Agent 2")
    assert [(p.number, p.voice, p.sms) for p in agent.phones] == [("+12025550102", True, True)]
    assert not (await load(container, json.dumps(seed))).changed


async def test_seed_json_with_a_bad_number_names_the_entry(container):
    seed = {
        "agent_list": [
            {"name": "Agent 1", "phone_no": "+12025550101"},
            {"name": "Agent 2", "phone_no": "+1XXXXXXXXXX"},
        ],
        "escalation_list": [{"name": "Director 1", "phone_no": "+12025550103"}],
    }
    with pytest.raises(ImportFailed) as failed:
        await load(container, json.dumps(seed))
    [problem] = failed.value.problems
    assert problem == "agent_list[1].phone_no: '+1XXXXXXXXXX' is not a phone number"
    assert str(failed.value) == f"{SOURCE}: {problem}"
    assert all(not v for v in (await dump(container)).values())


async def test_an_imported_absence_applies_only_during_its_dates(container):
    await load(container, EXAMPLE.read_text(encoding="utf-8"))
    during = datetime(2026, 12, 25, 12, tzinfo=UTC)
    assert await names(container, "database", during) == ["Alan Turing", "Barbara Liskov"]
    assert await names(container, "database") == ["Edsger Dijkstra", "Barbara Liskov"]


# --- parsing (no database) -------------------------------------------------------------

PARSE_ERRORS = {
    "YAML syntax": (
        'people:\n  - name: Ada\n    phones: [{number: "+12025550101"}\n  - name: Bob\n',
        ["line 4: invalid YAML: expected ',' or ']', but got '-'"],
    ),
    "JSON syntax": (
        '{\n  "agent_list": [\n    {"name": "A", }\n  ]\n}\n',
        ["line 3: invalid JSON: Expecting property name enclosed in double quotes"],
    ),
    "unknown top-level key": (
        "people: []\nteams: []\n",
        ["teams (line 2): Extra inputs are not permitted"],
    ),
    "unknown nested key": (
        "people:\n  - name: Ada\n    phones:\n      - number: '+12025550101'\n        fax: true\n",
        ["people[0].phones[0].fax (line 5): Extra inputs are not permitted"],
    ),
    "duplicate names": (
        "people:\n  - name: Ada\n  - name: Bob\n  - name: Ada\ngroups:\n  - name: g\n  - name: g\n",
        [
            "people[2] (line 4): 'Ada' is listed twice",
            "groups[1] (line 7): 'g' is listed twice",
        ],
    ),
    "member with two targets": (
        "groups:\n  - name: g\n    members:\n      - person: Ada\n        phone: '+12025550101'\n",
        [
            "groups[0].members[0] (line 4): a member names exactly one of person, group, "
            "rotation or phone"
        ],
    ),
    "bad PIN": (
        "people:\n  - name: Ada\n    pin: 12ab\n",
        ["people[0].pin (line 3): String should match pattern '^[0-9]{4,12}$'"],
    ),
    "not a mapping": ("- a\n- b\n", ["the file must hold a mapping with people, groups, ..."]),
    "seed entries": (
        '{"agent_list": [{"name": "A"}], "escalation_list": "x"}',
        ["agent_list[0]: needs a name and a phone_no", "escalation_list: must be a list"],
    ),
    "seed person with two numbers": (
        '{"agent_list": [{"name": "A", "phone_no": "+12025550101"}],'
        ' "escalation_list": [{"name": "A", "phone_no": "+12025550102"}]}',
        ["escalation_list[0]: 'A' appears twice with different phone numbers"],
    ),
}


@pytest.mark.parametrize("case", list(PARSE_ERRORS))
def test_parse_errors_name_the_location(case):
    text, problems = PARSE_ERRORS[case]
    with pytest.raises(ImportFailed) as failed:
        parse(text, "dir.yaml")
    assert failed.value.problems == problems
    assert str(failed.value) == "\n".join(f"dir.yaml: {p}" for p in problems)


def test_parse_accepts_an_empty_file_and_hotline_format_json():
    assert parse("", "x").document.people == []
    doc = parse('{"people": [{"name": "Ada", "phones": [{"number": "+12025550101"}]}]}', "x")
    assert [p.name for p in doc.document.people] == ["Ada"]


def test_an_unknown_key_with_a_block_value_is_reported_at_the_key_line():
    with pytest.raises(ImportFailed) as failed:
        parse("people: []\nteams:\n  - name: x\n", "dir.yaml")
    assert failed.value.problems == ["teams (line 2): Extra inputs are not permitted"]
