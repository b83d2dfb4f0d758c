"""Dose levels in sentences: lists, ranges, bounds, mass doses; doses that only name a subgroup or a
threshold are no levels. Invented trials, products and numbers."""

from __future__ import annotations

import pytest

from tests.records_helpers import AnnotatedBuilder
from tests.test_records_text import records


@pytest.fixture(scope="module")
def builder(rules):
    return AnnotatedBuilder(rules)


def doses(got):
    return sorted((v, q) for _, m, v, _, _, _, q in got if m == "DOSE")


def test_cell_dose_list_and_range(builder):
    _, outcomes, got = records(
        builder,
        ("paragraph", "In KESTREL-4, patients received 0.3, 0.9 and 2.7x10^6 cells/kg of valbo-cel."),
        ("paragraph", "In ORIOLE-7, doses ranged from 35x10^6 cells to 610x10^6 cells."),
    )
    assert doses(got) == [(300000.0, ""), (900000.0, ""), (2700000.0, ""), (35e6, ">="), (610e6, "<=")]
    assert {o.unit for o in outcomes if o.metric == "DOSE"} == {"cells/kg", "cells"}


def test_mass_doses_and_bounds(builder):
    _, outcomes, got = records(
        builder,
        (
            "paragraph",
            "In PETREL-2, valbotamab was given with step-up doses of 0.7 mg on day 1 and 7 mg on day 8, "
            "then 42 mg; chemotherapy was 350 mg per square metre.",
        ),
        ("paragraph", "In PETREL-3, 57 patients were treated at doses of 120 mg or higher."),
    )
    assert doses(got) == [(0.7, ""), (7.0, ""), (42.0, ""), (120.0, ">=")]
    assert {o.unit for o in outcomes if o.metric == "DOSE"} == {"mg"}


def test_doses_naming_a_subgroup_or_threshold_are_no_levels(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "In HARRIER-2, in patients treated at 270x10^6 cells, the ORR was 64%. A dose <180x10^6 "
            "cells was associated with shorter PFS.",
        ),
    )
    assert doses(got) == []
    assert any(m == "ORR" and v == 64.0 for _, m, v, *_ in got)
