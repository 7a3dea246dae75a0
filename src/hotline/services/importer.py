"""Directory import: the seed's ``agent_list.json`` or Hotline's YAML directory format.

The whole file is parsed and validated, then written in one transaction: a bad file
(syntax, unknown reference, invalid number, cycle) writes nothing. Importing the same file
again changes nothing. Entities not named in the file are left as they are.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from hotline.domain.errors import DomainError, Invalid
from hotline.ports import Saved
from hotline.services import directory as apply
from hotline.services.directory import DirectoryService
from hotline.services.inputs import DirectoryDocument, GroupIn, PersonIn, PolicyIn, RotationIn

Path = tuple[str | int, ...]


class ImportFailed(Exception):
    """The file was rejected; ``str()`` gives ``location: reason`` lines. Nothing was written."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


@dataclass
class ImportReport:
    counts: dict[str, Counter[Saved]] = field(default_factory=dict)

    def add(self, kind: str, outcome: Saved) -> None:
        self.counts.setdefault(kind, Counter())[outcome] += 1

    @property
    def changed(self) -> bool:
        return any(c[Saved.CREATED] or c[Saved.UPDATED] for c in self.counts.values())

    def summary(self) -> str:
        parts = []
        for kind, c in self.counts.items():
            parts.append(
                f"{kind}: {c[Saved.CREATED]} created, {c[Saved.UPDATED]} updated, "
                f"{c[Saved.UNCHANGED]} unchanged"
            )
        return "; ".join(parts) or "nothing to import"


@dataclass
class ParsedFile:
    document: DirectoryDocument
    lines: dict[Path, int]

    def where(self, path: Path) -> str:
        """``people[2].phones[0] (line 14)`` for a path into the file."""
        text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        for cut in range(len(path), 0, -1):
            if path[:cut] in self.lines:
                return f"{text or 'file'} (line {self.lines[path[:cut]]})"
        return text or "file"


def parse(text: str, source: str) -> ParsedFile:
    """Parse either format; raises :class:`ImportFailed` with locations."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as error:
            raise ImportFailed(
                source, [f"line {error.lineno}: invalid JSON: {error.msg}"]
            ) from None
        if isinstance(raw, dict) and ("agent_list" in raw or "escalation_list" in raw):
            return _from_seed(raw, source)
    try:
        raw = yaml.safe_load(text)
        lines = _yaml_lines(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or "syntax error"
        raise ImportFailed(source, [f"{where}invalid YAML: {problem}"]) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ImportFailed(source, ["the file must hold a mapping with people, groups, ..."])
    return _validate(raw, lines, source)


def _validate(raw: dict[str, Any], lines: dict[Path, int], source: str) -> ParsedFile:
    try:
        document = DirectoryDocument.model_validate(raw)
    except ValidationError as error:
        parsed = ParsedFile(DirectoryDocument(), lines)
        problems = [
            f"{parsed.where(tuple(e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
            for e in error.errors(include_input=False, include_url=False)
        ]
        raise ImportFailed(source, problems) from None
    parsed = ParsedFile(document, lines)
    _check_unique(parsed, source)
    return parsed


def _check_unique(parsed: ParsedFile, source: str) -> None:
    doc = parsed.document
    problems = []
    named: tuple[tuple[str, Sequence[PersonIn | RotationIn | GroupIn | PolicyIn]], ...] = (
        ("people", doc.people),
        ("rotations", doc.rotations),
        ("groups", doc.groups),
        ("policies", doc.policies),
    )
    for kind, items in named:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.name in seen:
                problems.append(f"{parsed.where((kind, i))}: {item.name!r} is listed twice")
            seen.add(item.name)
    if problems:
        raise ImportFailed(source, problems)


def _from_seed(raw: dict[str, Any], source: str) -> ParsedFile:
    """``agent_list`` and ``escalation_list`` become ordered groups ``agents`` and
    ``escalation`` and a ``default`` policy with those two tiers. Array position is the
    call order (the seed's ``index`` field is ignored, as the seed itself did)."""
    people: dict[str, PersonIn] = {}
    groups = []
    problems = []
    for key, group in (("agent_list", "agents"), ("escalation_list", "escalation")):
        entries = raw.get(key, [])
        if not isinstance(entries, list):
            problems.append(f"{key}: must be a list")
            continue
        members = []
        for i, entry in enumerate(entries):
            where = f"{key}[{i}]"
            if not isinstance(entry, dict) or not entry.get("name") or not entry.get("phone_no"):
                problems.append(f"{where}: needs a name and a phone_no")
                continue
            name, phone = str(entry["name"]).strip(), str(entry["phone_no"]).strip()
            known = people.get(name)
            if known is not None and known.phones[0].number != phone:
                problems.append(f"{where}: {name!r} appears twice with different phone numbers")
                continue
            people[name] = PersonIn(
                name=name, phones=[{"number": phone, "voice": True, "sms": True}]
            )
            members.append({"person": name})
        groups.append(GroupIn(name=group, members=members))
    if problems:
        raise ImportFailed(source, problems)
    document = DirectoryDocument(
        people=list(people.values()),
        groups=groups,
        policies=[PolicyIn(name="default", tiers=["agents", "escalation"])],
    )
    # Seed locations for errors found while applying (e.g. an invalid phone number).
    lines: dict[Path, int] = {}
    paths: dict[Path, str] = {}
    index = {name: i for i, name in enumerate(people)}
    for key in ("agent_list", "escalation_list"):
        for i, entry in enumerate(raw.get(key, [])):
            paths.setdefault(("people", index[str(entry["name"]).strip()]), f"{key}[{i}]")
    return _SeedFile(document, lines, paths)


class _SeedFile(ParsedFile):
    def __init__(
        self, document: DirectoryDocument, lines: dict[Path, int], paths: dict[Path, str]
    ) -> None:
        super().__init__(document, lines)
        self._paths = paths

    def where(self, path: Path) -> str:
        seed = self._paths.get(path[:2])
        if seed is None:
            return super().where(path)
        suffix = {"phones": ".phone_no"}.get(str(path[2]) if len(path) > 2 else "", "")
        return seed + suffix


def _yaml_lines(text: str) -> dict[Path, int]:
    """Map every path in the YAML document to its 1-based line number."""
    root = yaml.compose(text)
    lines: dict[Path, int] = {}
    stack: list[tuple[Path, yaml.Node]] = [((), root)] if root is not None else []
    while stack:
        path, node = stack.pop()
        lines.setdefault(path, node.start_mark.line + 1)  # a key's own line wins
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append(((*path, str(key.value)), value))
                lines[(*path, str(key.value))] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(((*path, i), item) for i, item in enumerate(node.value))
    return lines


async def import_directory(
    service: DirectoryService, parsed: ParsedFile, source: str, *, dry_run: bool = False
) -> ImportReport:
    """Write the parsed file in one transaction (rolled back on any error or ``dry_run``)."""
    doc = parsed.document
    report = ImportReport()
    path: Path = ()
    try:
        async with service.unit_of_work() as uow:
            for i, person in enumerate(doc.people):
                path = ("people", i)
                report.add("people", (await apply.apply_person(uow, person, service.region))[1])
            for i, rotation in enumerate(doc.rotations):
                path = ("rotations", i)
                report.add("rotations", (await apply.apply_rotation(uow, rotation))[1])
            # New groups first exist empty, so members may name groups later in the file.
            new_groups = set()
            for i, group in enumerate(doc.groups):
                path = ("groups", i)
                if await uow.directory.get_group(group.name) is None:
                    new_groups.add(group.name)
                    await apply.apply_group(uow, GroupIn(name=group.name), service.region)
            for i, group in enumerate(doc.groups):
                path = ("groups", i)
                _, saved = await apply.apply_group(uow, group, service.region)
                report.add("groups", Saved.CREATED if group.name in new_groups else saved)
            for i, absence in enumerate(doc.absences):
                path = ("absences", i)
                report.add("absences", (await apply.apply_absence(uow, absence))[1])
            for i, policy in enumerate(doc.policies):
                path = ("policies", i)
                report.add("policies", (await apply.apply_policy(uow, policy))[1])
            path = ()
            if not dry_run:
                await uow.commit()
    except DomainError as error:
        field = error.field if isinstance(error, Invalid) and error.field else None
        full = (*path, *_split(field)) if field else path
        raise ImportFailed(source, [f"{parsed.where(full)}: {error}"]) from None
    return report


def _split(field: str) -> Path:
    """``phones[0].number`` -> ("phones", 0, "number")."""
    parts: list[str | int] = []
    for piece in field.replace("]", "").split("."):
        name, *indices = piece.split("[")
        parts.append(name)
        parts.extend(int(i) for i in indices)
    return tuple(parts)
