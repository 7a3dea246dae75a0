"""Our ServiceNow business rule (integrations/servicenow/hotline_business_rule.js), run under
Node.js with stand-ins for the ServiceNow APIs it calls: the condition, the JSON body, and a
signature that Hotline's own check accepts.

The stand-ins follow ServiceNow's documented contracts (generateMac takes a base64 key and
returns a base64 MAC; executeAsync queues the request). They cannot prove the platform
behaves as documented; they prove the script is right if it does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hotline.adapters.servicenow import verify_webhook_signature

RULE = Path(__file__).parents[2] / "integrations" / "servicenow" / "hotline_business_rule.js"
SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0-hotline"
URL = "https://hotline.example.com/integrations/servicenow/incidents"
PROPERTIES = {"hotline.webhook_url": URL, "hotline.webhook_secret": SECRET}
SYS_ID = "46d44a5a2f4a3010b6b1a9e2f699b6f1"

HARNESS = r"""
const fs = require('fs');
const vm = require('vm');
const crypto = require('crypto');
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const source = fs.readFileSync(input.rule, 'utf8');

function record(fields, operation) {
  if (!fields) return null;
  return {
    getValue: (name) => (fields[name] === undefined || fields[name] === null)
      ? null : String(fields[name]),
    getUniqueValue: () => fields.sys_id,
    operation: () => operation,
    update: () => { throw new Error('current.update() must not be called'); },
    assignment_group: { getDisplayValue: () => fields.assignment_group_name || '' },
  };
}

function run(spec) {
  const out = { errors: [], requests: [] };
  const sandbox = {
    current: record(spec.current, spec.operation),
    previous: record(spec.previous, spec.operation),
    gs: {
      getProperty: (name, fallback) => (name in spec.properties ? spec.properties[name] : fallback),
      error: (message) => out.errors.push(String(message)),
    },
    GlideStringUtil: { base64Encode: (s) => Buffer.from(s, 'utf8').toString('base64') },
    GlideCertificateEncryption: function () {
      this.generateMac = (key, algorithm, data) => {
        if (spec.mac_error) throw new Error(spec.mac_error);
        if (algorithm !== 'HmacSHA256') throw new Error('unknown algorithm ' + algorithm);
        return crypto.createHmac('sha256', Buffer.from(key, 'base64'))
          .update(data, 'utf8').digest('base64');
      };
    },
    sn_ws: {
      RESTMessageV2: function () {
        const sent = { headers: {}, async: false };
        this.setEndpoint = (url) => { sent.endpoint = url; };
        this.setHttpMethod = (method) => { sent.method = method; };
        this.setHttpTimeout = (ms) => { sent.timeout = ms; };
        this.setRequestHeader = (name, value) => { sent.headers[name] = value; };
        this.setRequestBody = (body) => { sent.body = body; };
        this.execute = () => { throw new Error('synchronous execute() must not be used'); };
        this.executeAsync = () => { sent.async = true; out.requests.push(sent); return {}; };
      },
    },
  };
  vm.createContext(sandbox);
  vm.runInContext(source, sandbox, { filename: input.rule });
  return out;
}

process.stdout.write(JSON.stringify(input.specs.map(run)));
"""


def incident(**fields: Any) -> dict[str, Any]:
    base = {
        "sys_id": SYS_ID,
        "number": "INC0010001",
        "short_description": "Database down",
        "description": "db-1 does not answer",
        "urgency": 1,
        "priority": 1,
        "active": 1,
        "assignment_group_name": "Database",
    }
    base.update(fields)
    return base


def spec(
    current: dict[str, Any],
    previous: dict[str, Any] | None = None,
    operation: str = "insert",
    properties: dict[str, str] | None = None,
    mac_error: str | None = None,
) -> dict[str, Any]:
    return {
        "current": current,
        "previous": previous,
        "operation": operation,
        "properties": PROPERTIES if properties is None else properties,
        "mac_error": mac_error,
    }


def run_rules(*specs: dict[str, Any]) -> list[dict[str, Any]]:
    """Run the rule once per spec (fresh globals each time) in one Node.js process; for each,
    ``{"errors": [gs.error messages], "requests": [RESTMessageV2 requests sent]}``."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    done = subprocess.run(
        [node, "-e", HARNESS],
        input=json.dumps({"rule": str(RULE), "specs": list(specs)}),
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def run_rule(current: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    [result] = run_rules(spec(current, **kwargs))
    return result


def sent_count(*specs: dict[str, Any]) -> list[int]:
    return [len(result["requests"]) for result in run_rules(*specs)]


def test_new_urgent_incident_is_sent_signed_and_async() -> None:
    result = run_rule(incident())
    assert result["errors"] == []
    [sent] = result["requests"]
    assert sent["async"] is True
    assert sent["method"] == "post"
    assert sent["endpoint"] == URL
    assert sent["timeout"] == 10000
    assert sent["headers"]["Content-Type"] == "application/json"
    assert sent["headers"]["Accept"] == "application/json"
    body = sent["body"].encode("ascii")
    assert verify_webhook_signature(SECRET, body, sent["headers"]["X-Hotline-Signature"])
    assert not verify_webhook_signature(
        "another-secret-0123456789", body, sent["headers"]["X-Hotline-Signature"]
    )
    assert json.loads(body) == {
        "sys_id": SYS_ID,
        "number": "INC0010001",
        "short_description": "Database down",
        "description": "db-1 does not answer",
        "urgency": 1,
        "priority": 1,
        "assignment_group": "Database",
    }


def test_any_text_is_encoded_not_concatenated() -> None:
    texts = [
        "Disk full & a=b+c; 100% 'quoted' \"double\" back\\slash",
        "Überlauf — « disque plein » ✓ 🚨 \u2028 line\nbreak\ttab",
        "template ${evil} and $HOME and {braces}",
        "",
    ]
    results = run_rules(
        *(spec(incident(short_description=text or None, description=text)) for text in texts)
    )
    for text, result in zip(texts, results, strict=True):
        [sent] = result["requests"]
        raw: str = sent["body"]
        assert raw.isascii()
        assert "$" not in raw
        assert verify_webhook_signature(
            SECRET, raw.encode("ascii"), sent["headers"]["X-Hotline-Signature"]
        )
        payload = json.loads(raw)
        assert payload["description"] == text
        assert payload["short_description"] == (text or "INC0010001")


def test_missing_group_is_null() -> None:
    [sent] = run_rule(incident(assignment_group_name=""))["requests"]
    assert json.loads(sent["body"])["assignment_group"] is None


def test_condition_on_insert() -> None:
    cases = [  # (urgency, priority): sent?
        ((1, 3), 1),  # urgency 1 - High
        ((2, 1), 1),  # priority 1 - Critical
        ((3, 2), 1),  # priority 2 - High
        ((2, 3), 0),
        ((3, 5), 0),
        ((None, None), 0),
    ]
    counts = sent_count(*(spec(incident(urgency=u, priority=p)) for (u, p), _ in cases))
    assert counts == [expected for _, expected in cases]


def test_inactive_incident_is_not_sent() -> None:
    counts = sent_count(
        spec(incident(active=0)), spec(incident(active="false")), spec(incident(active="true"))
    )
    assert counts == [0, 0, 1]


def test_update_sends_only_when_it_becomes_urgent() -> None:
    calm = incident(urgency=3, priority=4)
    counts = sent_count(
        spec(incident(), previous=calm, operation="update"),
        # Already urgent: other edits (and Hotline's own write-backs) send nothing.
        spec(incident(), previous=incident(), operation="update"),
        spec(incident(urgency=2, priority=2), previous=incident(), operation="update"),
        # Becomes less urgent: nothing.
        spec(calm, previous=incident(), operation="update"),
    )
    assert counts == [1, 0, 0, 0]


def test_missing_properties_are_logged_not_sent() -> None:
    result = run_rule(incident(), properties={"hotline.webhook_url": URL})
    assert result["requests"] == []
    [error] = result["errors"]
    assert "INC0010001" in error
    assert "hotline.webhook_secret" in error


def test_failures_are_logged_without_the_secret() -> None:
    result = run_rule(incident(), mac_error=f"bad key {SECRET}")
    assert result["requests"] == []
    [error] = result["errors"]
    assert error.startswith("Hotline: INC0010001 not sent: ")
    assert SECRET not in error
