"""Redaction covers the jobs' client, server and master names and the policy names."""

from __future__ import annotations

from pathlib import Path

import kit
from kit.redaction import case_identities, open_case

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-incident"


def test_redacted_jobs_name_no_client_server_or_policy():
    plain = kit.load_case(SAMPLE)
    case = open_case(SAMPLE, redact=True, key="11" * 32)
    originals = set(plain.jobs["client"]) | set(plain.jobs["server"]) | set(plain.jobs["master"])
    policies = set(plain.jobs["policy"])
    assert {"dmz-web01", "nbu-media01", "nbu-master01"} <= originals
    assert {"DMZ_Linux", "DMZ_DB_Agent"} <= policies
    text = case.jobs.astype(str).to_csv()
    for value in originals | policies:
        assert value not in text, value
    assert case.jobs["policy"].str.startswith("policy-").all()
    # the same pseudonyms as everywhere else: explain_failures still pairs them
    assert kit.explain_failures(case)["explained"].sum() == 5
    # and the leak check knows the policies are identities
    identities = case_identities(plain)
    assert identities["DMZ_Linux"] == "policy" and identities["dmz-web01"] == "host"
