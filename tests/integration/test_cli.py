"""The real ``hotline`` console script, run as a subprocess against SQLite and PostgreSQL.

Each invocation starts a Python process, so independent invocations run in parallel
(:func:`run_all`) to keep the suite fast.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from hotline.adapters.db import migrate
from hotline.bootstrap import build
from hotline.settings import load_settings
from tests.conftest import NOW

HOTLINE = Path(sys.executable).with_name("hotline")
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "directory.yaml"
REAL_SEED = ROOT.parent / "shared" / "seed-artifacts" / "agent_list.json"
HEAD = migrate.head()
AT = "2026-12-25T12:00:00Z"  # Alan's week on `primary`; Edsger away, covered by Alan

EXAMPLE_CREATED = (
    "people: 7 created, 0 updated, 0 unchanged; "
    "rotations: 1 created, 0 updated, 0 unchanged; "
    "groups: 3 created, 0 updated, 0 unchanged; "
    "absences: 1 created, 0 updated, 0 unchanged; "
    "policies: 1 created, 0 updated, 0 unchanged"
)
EXAMPLE_UNCHANGED = (
    "people: 0 created, 0 updated, 7 unchanged; "
    "rotations: 0 created, 0 updated, 1 unchanged; "
    "groups: 0 created, 0 updated, 3 unchanged; "
    "absences: 0 created, 0 updated, 1 unchanged; "
    "policies: 0 created, 0 updated, 1 unchanged"
)
AGENTS_AT = [
    ("Alan Turing", "+12025550113"),  # on shift; his SMS-only first number is skipped
    ("Katherine Johnson", "+12025550104"),
    ("Barbara Liskov", "+12025550106"),  # Edsger is away; Alan covers but is already listed
    ("NOC pager", "+12025550199"),
]


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def base_env(**extra: str) -> dict[str, str]:
    """The test's environment without any Hotline, Twilio or ServiceNow setting."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HOTLINE_", "TWILIO_", "SERVICENOW_"))
    }
    env.update(extra)
    return env


def run_all(cwd: Path, calls: Sequence[tuple[Sequence[str], dict[str, str]]]) -> list[Result]:
    """Run ``hotline`` once per call, all at the same time; results in call order."""
    procs = [
        subprocess.Popen(
            [str(HOTLINE), *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args, env in calls
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(Result(proc.returncode, out, err))
    return results


Cli = Callable[..., Result]


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return base_env(HOTLINE_DATABASE_URL=database_url)


@pytest.fixture
def cli(env: dict[str, str], tmp_path: Path) -> Cli:
    def call(*args: str) -> Result:
        return run_all(tmp_path, [(args, env)])[0]

    return call


@pytest.fixture
def many(env: dict[str, str], tmp_path: Path) -> Callable[..., list[Result]]:
    def call(*commands: Sequence[str]) -> list[Result]:
        return run_all(tmp_path, [(c, env) for c in commands])

    return call


async def _upgrade(url: str) -> None:
    container = build(load_settings(database_url=url, api_token=None))
    try:
        await migrate.upgrade(container.engine)
    finally:
        await container.close()


@pytest.fixture
def migrated(database_url: str) -> str:
    """The database, migrated in-process (``hotline db upgrade`` is tested on its own)."""
    asyncio.run(_upgrade(database_url))
    return database_url


def table(group: str, at: str, rows: Sequence[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    lines = [f"On call for {group} at {at}:"]
    lines += [f"  {i:>2}. {name:<{width}}  {phone}" for i, (name, phone) in enumerate(rows, 1)]
    return "\n".join(lines) + "\n"


def oncall_json(result: Result) -> dict[str, object]:
    assert result.code == 0, result.text
    data: dict[str, object] = json.loads(result.out)
    return data


def pairs(data: dict[str, object]) -> list[tuple[str, str]]:
    entries = data["oncall"]
    assert isinstance(entries, list)
    return [(e["name"], e["phone"]) for e in entries]


# --- db ----------------------------------------------------------------------------------


def test_db_upgrade_then_current(cli):
    r = cli("db", "current")
    assert (r.code, r.out) == (0, f"empty (newest: {HEAD})\n"), r.text
    r = cli("db", "upgrade")
    assert (r.code, r.out) == (0, f"database at revision {HEAD}\n"), r.text
    r = cli("db", "current")
    assert (r.code, r.out) == (0, f"{HEAD} (newest: {HEAD})\n"), r.text


def test_commands_on_an_unmigrated_database_ask_for_db_upgrade(many):
    oncall, imported = many(["oncall", "agents"], ["directory", "import", str(EXAMPLE)])
    for r in (oncall, imported):
        assert r.code == 1, r.text
        assert r.out == ""
        assert r.err == (
            f"hotline: the database is at revision none, this Hotline needs {HEAD}: "
            "run `hotline db upgrade`\n"
        )


# --- directory import --------------------------------------------------------------------


def test_import_example_dry_run_then_twice(cli, many, migrated):
    r = cli("directory", "import", str(EXAMPLE), "--dry-run")
    assert (r.code, r.out) == (0, f"dry run, nothing written: {EXAMPLE_CREATED}\n"), r.text
    r = cli("directory", "import", str(EXAMPLE))  # still all "created": the dry run wrote nothing
    assert (r.code, r.out, r.err) == (0, EXAMPLE_CREATED + "\n", ""), r.text
    r = cli("directory", "import", str(EXAMPLE))
    assert (r.code, r.out, r.err) == (0, EXAMPLE_UNCHANGED + "\n", ""), r.text

    shown, offset, now = many(
        ["oncall", "agents", "--at", AT],
        ["oncall", "agents", "--json", "--at", "2026-12-25T07:00:00-05:00"],
        ["oncall", "escalation", "--json"],
    )
    assert (shown.code, shown.err) == (0, ""), shown.text
    assert shown.out == table("agents", "2026-12-25T12:00:00+00:00", AGENTS_AT)
    assert oncall_json(offset) == {
        "group": "agents",
        "at": "2026-12-25T07:00:00-05:00",
        "oncall": [{"name": n, "phone": p} for n, p in AGENTS_AT],
    }
    # without --at: now, in UTC; Margaret Hamilton is inactive
    data = oncall_json(now)
    at = data["at"]
    assert isinstance(at, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00", at), at
    assert pairs(data) == [("Barbara Liskov", "+12025550106")]


def test_import_seed_agent_list(cli, many, migrated, tmp_path):
    seed = tmp_path / "agent_list.json"
    seed.write_text(
        json.dumps(
            {
                "agent_list": [
                    {"name": "Agent 1", "phone_no": "+12025550101", "role": "Support", "index": 1},
                    {"name": "Agent 2", "phone_no": "+12025550102", "role": "Support", "index": 0},
                ],
                "escalation_list": [
                    {"name": "Director 1", "phone_no": "+12025550103", "role": "Director"}
                ],
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    r = cli("directory", "import", str(seed))
    assert (r.code, r.err) == (0, ""), r.text
    assert r.out == (
        "people: 3 created, 0 updated, 0 unchanged; "
        "groups: 2 created, 0 updated, 0 unchanged; "
        "policies: 1 created, 0 updated, 0 unchanged\n"
    )
    agents, again = many(
        ["oncall", "agents", "--json", "--at", "2026-11-21T12:00:00Z"],
        ["directory", "import", str(seed)],
    )
    assert oncall_json(agents) == {
        "group": "agents",
        "at": "2026-11-21T12:00:00+00:00",
        "oncall": [
            {"name": "Agent 1", "phone": "+12025550101"},
            {"name": "Agent 2", "phone": "+12025550102"},
        ],
    }
    assert again.out == (
        "people: 0 created, 0 updated, 3 unchanged; "
        "groups: 0 created, 0 updated, 2 unchanged; "
        "policies: 0 created, 0 updated, 1 unchanged\n"
    ), again.text

    async def stored() -> tuple[tuple[str, ...], list[str]]:
        container = build(load_settings(database_url=migrated, api_token=None))
        try:
            policy = await container.directory.get_policy("default")
            escalation = await container.directory.oncall("escalation", NOW)
            return policy.tiers, [e.name for e in escalation]
        finally:
            await container.close()

    assert asyncio.run(stored()) == (("agents", "escalation"), ["Director 1"])


def _example_with(old: str, new: str) -> tuple[str, int]:
    """The example file with one line changed, and that line's number."""
    text = EXAMPLE.read_text(encoding="utf-8")
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line == old)
    lines[index] = new
    return "\n".join(lines) + "\n", index + 1


def _check_rejected(path: str, r: Result, pattern: str) -> None:
    """Exit 1, nothing on stdout, a header line, then ``FILE: location: reason``."""
    assert r.code == 1, (path, r.text)
    assert r.out == "", (path, r.text)
    lines = r.err.splitlines()
    assert lines[0] == "hotline: import failed, nothing was written:", (path, r.err)
    assert len(lines) == 2, (path, r.err)
    assert re.fullmatch(re.escape(path) + ": " + pattern, lines[1]), (path, lines[1])


def test_files_failing_in_the_database_write_nothing(cli, many, migrated, tmp_path):
    """Problems found while writing (references, numbers, cycles) roll everything back."""
    files: dict[str, tuple[str, str]] = {}  # name -> (content, pattern of the problem)

    text, _ = _example_with("      - person: Katherine Johnson", "      - person: Kathy Johnson")
    files["unknown_person.yaml"] = (
        text,
        r"groups\[0\]\.members \(line \d+\): unknown person 'Kathy Johnson'",
    )
    text, line = _example_with(
        '      - {number: "(202) 555-0102", voice: true, sms: true}',
        '      - {number: "(202) 555-01", voice: true, sms: true}',
    )
    files["bad_phone.yaml"] = (
        text,
        rf"people\[1\]\.phones\[0\]\.number \(line {line}\): "
        r"'\(202\) 555-01' is not a valid phone number",
    )
    files["bad_phone.json"] = (
        json.dumps(
            {
                "agent_list": [{"name": "Agent 1", "phone_no": "12345"}],
                "escalation_list": [{"name": "Director 1", "phone_no": "+12025550103"}],
            }
        ),
        r"agent_list\[0\]\.phone_no: '12345' is not a valid phone number",
    )
    text, _ = _example_with("      - person: Barbara Liskov", "      - group: agents")
    line = text.splitlines().index("  - name: database") + 1
    files["cycle.yaml"] = (
        text,
        rf"groups\[1\] \(line {line}\): group nesting cycle: database -> agents -> database",
    )
    for name, (content, _) in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    paths = [str(tmp_path / name) for name in files]
    results = many(*(["directory", "import", p] for p in paths))
    for path, (_, pattern), r in zip(paths, files.values(), results, strict=True):
        _check_rejected(path, r, pattern)
    # nothing was written by any of them: the example's entities are all new
    r = cli("directory", "import", str(EXAMPLE))
    assert (r.code, r.out) == (0, EXAMPLE_CREATED + "\n"), r.text


def test_files_failing_to_parse_and_bad_arguments(tmp_path):
    """Rejected before any write (so run once, on SQLite)."""
    env = base_env(HOTLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'hotline.db'}")
    asyncio.run(_upgrade(env["HOTLINE_DATABASE_URL"]))
    files: dict[str, tuple[str, str]] = {}
    text, line = _example_with("    spoken_name: Grace", "    spoken_name: Grace: Hopper")
    files["syntax.yaml"] = (
        text,
        rf"line {line}: invalid YAML: mapping values are not allowed here",
    )
    text, line = _example_with("  - name: Alan Turing", "  - name: Grace Hopper")
    files["duplicate.yaml"] = (
        text,
        rf"people\[2\] \(line {line}\): 'Grace Hopper' is listed twice",
    )
    text = EXAMPLE.read_text(encoding="utf-8") + "teams: []\n"
    files["unknown_key.yaml"] = (
        text,
        rf"teams \(line {len(text.splitlines())}\): Extra inputs are not permitted",
    )
    for name, (content, _) in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    paths = [str(tmp_path / name) for name in files]
    missing = str(tmp_path / "missing.yaml")
    *bad, seed, gone, unknown, no_offset, garbage = run_all(
        tmp_path,
        [
            *((["directory", "import", p], env) for p in paths),
            (["directory", "import", str(REAL_SEED)], env),
            (["directory", "import", missing], env),
            (["oncall", "agents", "--at", AT], env),
            (["oncall", "agents", "--at", "2026-12-25T12:00:00"], env),
            (["oncall", "agents", "--at", "next tuesday"], env),
        ],
    )
    for path, (_, pattern), r in zip(paths, files.values(), bad, strict=True):
        _check_rejected(path, r, pattern)
    # the real seed file's placeholder numbers are not dialable
    problem = "agent_list[0].phone_no: '+1XXXXXXXXXX' is not a phone number"
    _check_rejected(str(REAL_SEED), seed, re.escape(problem))
    assert (gone.code, gone.out) == (1, "")
    assert gone.err == f"hotline: cannot read {missing}: No such file or directory\n"
    # also proves that none of the files above wrote anything
    assert (unknown.code, unknown.out) == (1, ""), unknown.text
    assert unknown.err == "hotline: no group named 'agents'\n"
    assert (no_offset.code, no_offset.out) == (1, "")
    assert no_offset.err == "hotline: --at: give a UTC offset, e.g. 2026-01-31T09:00:00Z\n"
    assert (garbage.code, garbage.out) == (1, "")
    assert garbage.err.startswith("hotline: --at: 'next tuesday' is not an ISO 8601 instant")


# --- settings ----------------------------------------------------------------------------


def test_invalid_settings_exit_2_naming_the_setting_not_the_value(tmp_path):
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    config = tmp_path / "hotline.yaml"
    config.write_text("api_token: Cfg-s3cret-9\n", encoding="utf-8")
    cases = [
        ({"HOTLINE_CARRIER": "fax"}, "HOTLINE_CARRIER", "fax"),
        ({"HOTLINE_API_TOKEN": "Sh0rt-s3cret"}, "HOTLINE_API_TOKEN", "Sh0rt-s3cret"),
        (
            {"HOTLINE_CARRIER": "twilio", "TWILIO_AUTH_TOKEN": "Tw1l10-auth-t0ken-s3cret-value"},
            "TWILIO_ACCOUNT_SID",
            "Tw1l10-auth-t0ken-s3cret-value",
        ),
        (
            {"HOTLINE_DATABASE_URL": "mysql://admin:Db-pa55w0rd-s3cret@db.example/hotline"},
            "HOTLINE_DATABASE_URL",
            "Db-pa55w0rd-s3cret",
        ),
        ({"HOTLINE_CONFIG": str(config)}, "HOTLINE_API_TOKEN", "Cfg-s3cret-9"),
    ]
    calls = [
        (["db", "current"], base_env(**{"HOTLINE_DATABASE_URL": url, **overrides}))
        for overrides, _, _ in cases
    ]
    for (overrides, setting, value), r in zip(cases, run_all(tmp_path, calls), strict=True):
        assert r.code == 2, (overrides, r.text)
        assert r.out == "", (overrides, r.text)
        assert r.err.startswith("hotline: invalid settings:"), (overrides, r.err)
        assert setting in r.err, (overrides, r.err)
        assert value not in r.text, (overrides, r.err)
        assert "Traceback" not in r.err, (overrides, r.err)
    assert not (tmp_path / "hotline.db").exists()


def test_an_unreachable_database_is_a_one_line_error(tmp_path):
    urls = [
        "postgresql://postgres:Pg-s3cret-pw@127.0.0.1:1/test",
        f"sqlite:///{tmp_path / 'no-such-dir' / 'hotline.db'}",
    ]
    calls = [(["oncall", "agents"], base_env(HOTLINE_DATABASE_URL=u)) for u in urls]
    for r in run_all(tmp_path, calls):
        assert "Pg-s3cret-pw" not in r.text
        assert r.code == 1, r.text
        assert "Traceback" not in r.err, r.err
        assert r.err.startswith("hotline: cannot reach the database"), r.err
