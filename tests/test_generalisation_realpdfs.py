"""Precision on papers that are not reviews of trials (shared/real-pdfs): flow-chart boxes, device
model numbers and means must not become studies, products or medians. Skips when the folder is absent."""

from __future__ import annotations

import pytest

from tests.conftest import REAL_PDFS


@pytest.fixture(scope="module")
def results(rules):
    names = ["bmj-rct-smoking-pregnancy", "intpsychogeriatrics-2014"]
    if not all((REAL_PDFS / f"{n}.pdf").is_file() for n in names):
        pytest.skip("shared real-pdfs not present")
    from pipeline.process import Pipeline

    pipe = Pipeline(rules)
    return {n: pipe.process(REAL_PDFS / f"{n}.pdf") for n in names}


def test_flow_chart_boxes_are_no_studies(results):
    # "Declined to participate (n=2324)", "Improperly included, n = 19", "Randomisation (n=789)"
    boxes = {
        "bmj-rct-smoking-pregnancy": {2324, 8096, 2583, 789},
        "intpsychogeriatrics-2014": {19, 79, 10, 2462},
    }
    for name, r in results.items():
        assert not r.error, r.error_detail
        # the boxes' counts are read (as patient counts) and each paper still yields a study of its own
        read = {m.attrs.get("value") for m in r.doc.mentions if m.label == "N"}
        assert boxes[name] <= read, (name, boxes[name] - read)
        assert any(s.n for s in r.studies), name
        ns = {s.n for s in r.studies}
        assert not ns & {2324, 8096, 2583, 789, 19, 79, 10, 2462}, (name, ns)


def test_device_model_is_no_product(results):
    doc = results["bmj-rct-smoking-pregnancy"].doc
    assert (
        "pedometers" in doc.text and "SW-200" in doc.text
    )  # the sentence is there ("Digi-Walker SW-200; …")
    assert [m for m in doc.mentions if m.label == "REGISTRY_ID"]  # the trial's own identifier is found
    assert not [m.text for m in doc.mentions if m.label in ("PRODUCT", "TRIAL") and "SW-200" in m.text]


def test_mean_follow_up_is_no_median(results):
    r = results["intpsychogeriatrics-2014"]
    assert "mean follow-up" in r.doc.text.lower()
    # the means are read as values next to their metric, and still make no median
    fu = [m for m in r.doc.mentions if m.label == "VALUE" and m.attrs.get("years")]
    assert len(fu) >= 2 and [m for m in r.doc.mentions if m.label == "METRIC" and m.text == "follow-up"]
    assert not [o for o in r.outcomes if o.metric == "FOLLOWUP_MEDIAN"]
    assert not [o for o in r.outcomes if o.value is not None and abs(o.value - 849.6) < 0.01]
