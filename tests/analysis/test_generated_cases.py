"""Acceptance on generated cases (kit.synth.generate_case): timeout inference at 30 min, 1 h and
2 h; all hosts tuned -> nothing to prevent; a new firewall timeout below the hosts' keepalive
prevents nothing."""

from __future__ import annotations

import pandas as pd
import pytest

import kit
from kit.synth.case import generate_case


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """(truth, case) per parameter set, generated once for the module."""
    made = {}

    def make(name: str, **params):
        if name not in made:
            folder = tmp_path_factory.mktemp(name)
            truth = generate_case(folder, **params)
            made[name] = (truth, kit.load_case(folder))
        return made[name]
    return make


@pytest.mark.parametrize(("timeout", "seed", "days"), [(1800, 1, 2), (3600, 4, 2), (7200, 5, 3)])
def test_the_timeout_is_inferred_from_the_teardowns(generated, timeout, seed, days):
    truth, case = generated(f"t{timeout}", seed=seed, days=days, timeout_s=timeout,
                            state_timeout=False)
    assert case.settings.idle_timeout is None
    assert len(truth["victims"]) >= 2, "the generated case must hold evidence"
    estimate = kit.infer_idle_timeout(case.connections)
    assert estimate.value == pd.Timedelta(seconds=timeout)
    assert estimate.n == len(truth["victims"])
    shortest = min(v["duration_s"] for v in truth["victims"])
    assert estimate.edge == pd.Timedelta(seconds=shortest)


def test_all_hosts_tuned_means_no_victims_and_no_change(generated):
    truth, case = generated("tuned", seed=6, keepalive="all-tuned")
    assert truth["victims"] == []
    table = kit.compare_remedies(case)
    assert (table["victims"] == 0).all() and (table["prevented"] == 0).all()
    rec = kit.recommend(table)
    assert rec.best is None and "no change is needed" in rec.text


def test_a_new_timeout_below_the_hosts_keepalive_prevents_nothing(generated):
    truth, case = generated("default", seed=7, keepalive="all-default")
    assert len(truth["victims"]) > 0
    below = pd.Timedelta(seconds=min(h["keepalive_time_s"] for h in truth["hosts"].values()) - 60)
    assert below > pd.Timedelta(seconds=truth["timeout_s"])
    table = kit.compare_remedies(case, new_firewall_timeout=below)
    assert table.loc["firewall-timeout", "prevented"] == 0
    assert table.loc["firewall-timeout-scoped", "prevented"] == 0
    assert table.loc["keepalive", "prevented"] == len(truth["victims"])
