"""Review queue without the web app: import of a run, decisions, re-runs, curated outputs, gold and
Label Studio export/import, and the `trialex review` shell commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app as cli
from pipeline.review import (
    Store,
    StoreError,
    apply,
    export_gold,
    export_label_studio,
    import_label_studio,
    sync,
)
from tests.test_review_data import FINDING_COLS, finding, make_run, read_csv, write_csv


@pytest.fixture
def run(tmp_path: Path) -> tuple[Store, Path]:
    out = make_run(tmp_path / "run")
    store = Store(f"sqlite:///{tmp_path / 'review.db'}")
    sync(store, out, threshold=0.7)
    return store, out


def by_key(rows: list[dict[str, str]], **kw: str) -> list[dict[str, str]]:
    return [r for r in rows if all(r.get(k) == v for k, v in kw.items())]


def test_import_makes_items_of_findings_and_low_confidence_outcomes(run):
    store, _ = run
    items = {i.item_id: i for i in store.items()}
    assert set(items) == {"f-cr", "f-n", "f-name", next(k for k in items if k.startswith("o-"))}
    low = next(i for i in items.values() if i.kind == "outcome")
    assert (low.metric, low.values, low.confidence, low.status) == ("ORR", "text:83", 0.4, "open")
    assert low.bboxes == "p1:72.0,300.0,445.1,312.0"
    cr = items["f-cr"]
    assert (cr.values, cr.pages, cr.severity) == ("text:46 | table:82.8", "1 | 2", "error")
    doc = store.docs()["paper"]
    assert doc.pages == 2 and doc.path.endswith("paper.pdf") and len(doc.sha256) == 64


def test_decision_history_and_status(run):
    store, _ = run
    store.decide("f-cr", "accept_table", "ann")
    store.decide("f-cr", "accept_text", "bob", comment="table copied from Table 3")
    item = store.get("f-cr")
    assert item.status == "accepted"
    assert [(d.curator, d.action, d.value) for d in item.decisions] == [
        ("ann", "accept_table", "82.8"),
        ("bob", "accept_text", "46"),
    ]
    assert item.decision.comment == "table copied from Table 3"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("f-cr", "approve", "ann"), "unknown action"),
        (("f-cr", "dismiss", "  "), "curator"),
        (("f-cr", "correct", "ann"), "corrected value"),
        (("f-name", "accept_table", "ann"), "no table value"),
        (("nope", "dismiss", "ann"), "no review item"),
    ],
)
def test_invalid_decisions_are_refused_clearly(run, args, message):
    store, _ = run
    with pytest.raises(StoreError, match=message):
        store.decide(*args)
    assert store.get("f-cr").decisions == []


def test_decisions_survive_rerun_and_vanished_items_go_stale(run):
    store, out = run
    store.decide("f-n", "correct", "ann", value="135")
    store.decide("f-cr", "dismiss", "ann")
    rows = read_csv(out / "findings.csv")
    rerun = [r for r in rows if r["finding_id"] != "f-n"] + [
        finding(finding_id="f-new", check="grim", severity="error")
    ]
    write_csv(out / "findings.csv", rerun, FINDING_COLS)
    rep = sync(store, out)
    assert (rep.added, rep.stale) == (1, 1)
    assert {i.item_id for i in store.items()} == {"f-cr", "f-name", "f-new", store.items()[-1].item_id}
    gone = store.get("f-n")
    assert gone.stale and gone.status == "corrected" and gone.decision.value == "135"
    assert store.get("f-cr").status == "rejected" and store.get("f-new").status == "open"
    write_csv(out / "findings.csv", rows, FINDING_COLS)  # the finding comes back
    rep = sync(store, out)
    assert rep.revived == 1 and not store.get("f-n").stale and store.get("f-n").status == "corrected"


def test_apply_writes_curated_outcomes_and_finding_status(run):
    store, out = run
    store.decide("f-cr", "accept_text", "ann", comment="82.8 is copied")
    store.decide("f-n", "correct", "ann", value="135")
    store.decide("f-name", "dismiss", "ann")
    low = next(i for i in store.items() if i.kind == "outcome")
    store.decide(low.item_id, "correct", "bob", value="85")
    cur = apply(store, out)
    outcomes = read_csv(cur / "outcomes.csv")
    cr_table = by_key(outcomes, metric="CR", source="table")[0]
    assert (cr_table["value"], cr_table["value_extracted"], cr_table["review_status"]) == (
        "46",
        "82.8",
        "corrected",
    )
    assert cr_table["curator"] == "ann" and cr_table["review_note"] == "82.8 is copied"
    assert by_key(outcomes, metric="CR", source="text")[0]["review_status"] == "confirmed"
    assert [(r["value"], r["n"]) for r in by_key(outcomes, metric="N")] == [("135", "135"), ("135", "135")]
    assert by_key(outcomes, metric="ORR", study_id="trial-a")[0]["value"] == "85"
    untouched = by_key(outcomes, study_id="trial-b")[0]
    assert (untouched["value"], untouched["review_status"]) == ("70", "")
    status = {r["finding_id"]: r["status"] for r in read_csv(out / "findings.csv")}
    assert status == {"f-cr": "accepted", "f-n": "corrected", "f-name": "rejected"}
    curated = {r["finding_id"]: r for r in read_csv(cur / "findings.csv")}
    assert curated["f-n"]["curated_value"] == "135" and curated["f-cr"]["curator"] == "ann"


def test_not_reached_and_qualified_corrections(run):
    store, out = run
    store.decide("f-cr", "correct", "ann", value="NR")
    store.decide("f-n", "correct", "ann", value=">=130")
    outcomes = read_csv(apply(store, out) / "outcomes.csv")
    assert {(r["value"], r["qualifier"]) for r in by_key(outcomes, metric="CR")} == {("", "NR")}
    assert {(r["value"], r["qualifier"]) for r in by_key(outcomes, metric="N")} == {("130", ">=")}


GOLD_HEADERS = {
    "seed-outcomes.csv": "doc_id,trial,cohort,product,nct_id,n,arm,subgroup,metric,timepoint_months,value,"
    "qualifier,unit,source,table_id,snippet,study_key,note",
    "seed-findings.csv": "finding_key,check,severity,trial,cohort,metric,values,where,explanation,doc_id,"
    "product,study_key,is_error",
    "seed-studies.csv": "study_key,trial,cohort,product,target,nct_id,nct_id_valid,phase,n_table,n_text,refs,"
    "in_table,in_text,phase_text,note,doc_id",
}


def test_export_gold_in_shared_gold_format(run, tmp_path):
    store, out = run
    gold = tmp_path / "gold"
    with pytest.raises(StoreError, match="no settled"):
        export_gold(store, out, gold)
    store.decide("f-cr", "accept_text", "ann")
    store.decide("f-name", "dismiss", "ann", comment="a known spelling")
    (gold).mkdir()
    write_csv(
        gold / "seed-studies.csv", [{"study_key": "old", "doc_id": "other-paper"}], ["study_key", "doc_id"]
    )
    counts = export_gold(store, out, gold)
    assert counts == {"seed-outcomes.csv": 6, "seed-findings.csv": 2, "seed-studies.csv": 2}
    for name, header in GOLD_HEADERS.items():
        assert (gold / name).read_text(encoding="utf-8").splitlines()[0] == header
    findings = {r["check"]: r for r in read_csv(gold / "seed-findings.csv")}
    assert findings["text_table_mismatch"]["is_error"] == "yes"
    assert findings["text_table_mismatch"]["finding_key"] == "trial-a:CR:text_table_mismatch"
    assert findings["name_variant"]["is_error"] == "no"
    assert "a known spelling" in findings["name_variant"]["explanation"]
    outcomes = read_csv(gold / "seed-outcomes.csv")
    assert [r["value"] for r in by_key(outcomes, metric="CR")] == ["46", "46"]
    assert by_key(outcomes, metric="CR", source="table")[0]["note"].startswith(
        "curated by ann (extracted 82.8)"
    )
    studies = {r["study_key"]: r for r in read_csv(gold / "seed-studies.csv")}
    assert set(studies) == {"old", "trial-a", "trial-b"}  # other papers' rows are kept
    assert (studies["trial-a"]["nct_id_valid"], studies["trial-b"]["nct_id_valid"]) == ("NCT01234567", "")
    assert (studies["trial-a"]["in_text"], studies["trial-b"]["in_text"]) == ("yes", "")


def test_label_studio_round_trip(run, tmp_path):
    store, _ = run
    store.decide("f-n", "dismiss", "ann", comment="different populations")
    dest = tmp_path / "ls" / "tasks.json"
    assert export_label_studio(store, dest) == 4
    tasks = json.loads(dest.read_text())
    assert (tmp_path / "ls" / "tasks.label-config.xml").read_text().startswith("<View>")
    by_id = {t["data"]["item_id"]: t for t in tasks}
    ann = by_id["f-n"]["annotations"][0]
    assert ann["completed_by"] == "ann"
    assert {
        "from_name": "decision",
        "to_name": "values",
        "type": "choices",
        "value": {"choices": ["dismiss"]},
    } in ann["result"]
    # a teammate settles f-cr in Label Studio
    by_id["f-cr"]["annotations"] = [
        {
            "completed_by": {"id": 7, "email": "cy@example.org"},
            "result": [
                {"from_name": "decision", "type": "choices", "value": {"choices": ["correct"]}},
                {"from_name": "value", "type": "textarea", "value": {"text": ["47"]}},
            ],
        }
    ]
    by_id["f-name"]["annotations"] = [
        {"was_cancelled": True, "result": [{"from_name": "decision", "value": {"choices": ["dismiss"]}}]}
    ]
    dest.write_text(json.dumps(list(by_id.values())))
    assert import_label_studio(store, dest) == 1
    cr = store.get("f-cr")
    assert (cr.status, cr.decision.value, cr.decision.curator) == ("corrected", "47", "cy@example.org")
    assert store.get("f-name").status == "open"
    assert import_label_studio(store, dest) == 0  # re-import adds no history
    assert len(store.get("f-n").decisions) == 1


def test_bad_store_url_and_missing_run_are_clear_errors(tmp_path):
    with pytest.raises(StoreError, match="cannot open review store"):
        Store("nosuchdb://x")
    store = Store(f"sqlite:///{tmp_path / 'r.db'}")
    with pytest.raises(StoreError, match="holds no run"):
        sync(store, tmp_path / "empty")


def test_cli_list_decide_dismiss(tmp_path):
    out = make_run(tmp_path / "run")
    runner = CliRunner()
    res = runner.invoke(cli, ["review", "list", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "f-cr" in res.output and "text:46 | table:82.8" in res.output
    assert (out / "review.db").is_file()
    res = runner.invoke(
        cli,
        [
            "review",
            "decide",
            "f-cr",
            "--accept",
            "text",
            "--note",
            "copied",
            "--curator",
            "ann",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "f-cr: accepted = 46" in res.output
    res = runner.invoke(cli, ["review", "--out", str(out), "dismiss", "f-name", "--curator", "ann"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["review", "list", "--out", str(out), "--status", "open", "--json"])
    assert [json.loads(line)["item_id"] for line in res.output.splitlines()][0] == "f-n"
    assert len(res.output.splitlines()) == 2
    outcomes = read_csv(out / "curated" / "outcomes.csv")
    assert by_key(outcomes, metric="CR", source="table")[0]["value"] == "46"
    res = runner.invoke(cli, ["review", "decide", "f-n", "--accept", "text", "--dismiss", "--out", str(out)])
    assert res.exit_code == 2 and "exactly one of" in res.output
    res = runner.invoke(cli, ["review", "decide", "zzz", "--dismiss", "--curator", "a", "--out", str(out)])
    assert res.exit_code == 2 and "no review item 'zzz'" in res.output
    gold = tmp_path / "gold"
    res = runner.invoke(cli, ["review", "export-gold", str(gold), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert len(read_csv(gold / "seed-findings.csv")) == 2


def test_parts_read_the_value_formats_findings_use():
    from pipeline.review.store import Item, parts

    item = Item(
        values="table SCR:73.7% | n:20 | registry:III (NCT04181827)",
        sources="table | table | text",
        pages="4 | 4 | ",
        bboxes="p4:366.1,255.7,459.7,332.9 |  | ",
        snippets="sCR 73.7% |  | ",
    )
    got = [(p.source, p.label, p.value, p.page, p.bbox) for p in parts(item)]
    assert got == [
        ("table", "SCR", "73.7%", 4, (366.1, 255.7, 459.7, 332.9)),
        ("table", "n", "20", 4, None),
        ("registry", "", "III (NCT04181827)", 0, None),
    ]


def test_a_cited_n_is_not_taken_for_the_metric(run):
    store, out = run
    rows = read_csv(out / "findings.csv")
    rows.append(
        finding(finding_id="f-grim", check="grim", severity="error", metric="CR", values="text CR:46% | n:140",
                sources="text | text", pages="1 | 1")
    )  # fmt: skip
    write_csv(out / "findings.csv", rows, FINDING_COLS)
    sync(store, out)
    store.decide("f-grim", "correct", "ann", value="45.7")
    outcomes = read_csv(apply(store, out) / "outcomes.csv")
    assert [(r["source"], r["value"]) for r in by_key(outcomes, metric="CR")] == [
        ("text", "45.7"),
        ("table", "82.8"),
    ]
    assert {r["value"] for r in by_key(outcomes, metric="N")} == {"140", "128"}
