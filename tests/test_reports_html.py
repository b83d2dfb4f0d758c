"""Data Docs, report.md and report.html on a generated batch (invented trials, products, numbers):
grouped by study with errors first, related findings linked, dot plots of text against table values,
everything escaped; Data Docs built from a relative output folder and read offline in Chromium."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from pipeline.outputs import DocRecord, write_batch
from pipeline.quality import data_docs
from pipeline.rules import load
from tests.test_review_browser import browser_page  # noqa: F401 - the fixture

EVIL = '<img src=x onerror="window.__pwned=1">'


def _outcome(doc: str, study: str, metric: str, value: float, source: str, page: int, oid: str, **kw) -> dict:
    return {"doc_id": doc, "study_id": study, "metric": metric, "value": value, "unit": "%", "source": source,
            "page": page, "outcome_id": oid, **kw}  # fmt: skip


def _finding(
    fid: str, doc: str, study: str, check: str, severity: str, metric: str, message: str, ev: list
) -> dict:
    return {"finding_id": fid, "doc_id": doc, "check": check, "severity": severity, "study_id": study,
            "metric": metric, "message": message, "status": "open", "evidence": ev}  # fmt: skip


def _ev(label: str, value: str, source: str, page: int, oid: str = "", snippet: str = "") -> dict:
    return {"label": label, "value": value, "source": source, "page": page, "snippet": snippet, "bbox": "",
            "outcome_id": oid}  # fmt: skip


def batch() -> list[DocRecord]:
    studies = [
        {
            "doc_id": "rev-a",
            "study_id": "orvane-2",
            "trial": "ORVANE-2",
            "cohort": "",
            "product": "valbotamab",
        },
        {
            "doc_id": "rev-a",
            "study_id": "teskal-1",
            "trial": "TESKAL-1",
            "cohort": "B",
            "product": "dorquitamab",
        },
    ]
    outcomes = [
        _outcome("rev-a", "orvane-2", "ORR", 71.3, "text", 2, "o-1"),
        _outcome("rev-a", "orvane-2", "ORR", 71.3, "table", 3, "o-2"),
        _outcome("rev-a", "teskal-1", "CR", 37.0, "text", 4, "o-3"),
        _outcome("rev-a", "teskal-1", "CR", 64.9, "table", 5, "o-4"),
        _outcome("rev-a", "teskal-1", "ORR", 58.0, "text", 4, "o-5"),
    ]
    findings = [
        _finding("f-info", "rev-a", "orvane-2", "grim", "info", "ORR", "rounding of 71.3", [_ev("text", "71.3", "text", 2, "o-1")]),
        _finding("f-warn", "rev-a", "teskal-1", "logic", "warning", "CR", "CR 64.9 above ORR 58",
                 [_ev("table CR", "64.9", "table", 5, "o-4"), _ev("text ORR", "58", "text", 4, "o-5")]),
        _finding("f-err", "rev-a", "teskal-1", "text_table_mismatch", "error", "CR", f"CR 37 in the text, 64.9 in a table {EVIL}",
                 [_ev("text", "37", "text", 4, "o-3", snippet=f"a CR of 37% {EVIL}"), _ev("table", "64.9", "table", 5, "o-4")]),
        _finding("f-dup", "rev-a", "orvane-2;teskal-1", "duplicate_id", "error", "", "one id for two trials",
                 [_ev("ORVANE-2", "NCT99887766", "text", 2), _ev("TESKAL-1 B", "NCT99887766", "text", 4)]),
    ]  # fmt: skip
    row = {"doc_id": "rev-a", "path": "/in/rev-a.pdf", "sha256": "", "pages": 6, "status": "ok", "error": "",
           "error_detail": "", "timings": {}, "counts": {"studies": 2, "outcomes": 5, "findings": 4}}  # fmt: skip
    return [DocRecord(row, studies, outcomes, findings, [])]


@pytest.fixture
def reported(tmp_path: Path) -> Path:
    write_batch(
        tmp_path, batch(), {"fail_on": "error", "exit_code": 1, "data_docs": "failed: ValueError: no disk"}
    )
    return tmp_path


def test_report_md_groups_by_study_errors_first_and_links_related(reported):
    md = (reported / "report.md").read_text(encoding="utf-8")
    studies = md[md.index("## Studies") :]
    heads = re.findall(r"^#### <a id=\"[^\"]+\"></a>(.*)$", studies, re.M)
    # TESKAL-1 B holds an error, ORVANE-2 only info; the two-trial finding has its own group
    assert [h.split(" (")[0] for h in heads] == ["TESKAL-1 B", "ORVANE-2, TESKAL-1 B", "ORVANE-2"]
    teskal = studies[: studies.index("ORVANE-2, TESKAL-1 B")]
    assert teskal.index("text_table_mismatch") < teskal.index("**logic**")  # error before warning
    # the mismatch and the logic finding cite the same table outcome o-4: linked both ways
    err_line = next(line for line in teskal.splitlines() if "**text_table_mismatch**" in line)
    assert "related: [f-warn](#finding-f-warn)" in err_line
    assert '<a id="finding-f-warn"></a>' in teskal
    assert "| CR | 37 | % |  | text |  | 4 |" in teskal and "| CR | 64.9 | % |  | table |  | 5 |" in teskal
    assert "Data Docs not built: ValueError: no disk" in md
    assert EVIL not in md and "&lt;img src=x" in md


def test_dot_plot_puts_text_and_table_values_apart(reported):
    svg = reported / "report_files" / "rev-a-teskal-1--CR.svg"
    md = (reported / "report.md").read_text(encoding="utf-8")
    assert "(report_files/rev-a-teskal-1--CR.svg)" in md
    ns = {"s": "http://www.w3.org/2000/svg"}
    dots = ET.parse(svg).getroot().findall(".//s:circle", ns)
    by = {
        d.get("class").split()[-1]: (float(d.get("cx")), float(d.get("cy")), d.get("data-value"))
        for d in dots
    }
    assert by["dot-text"][2] == "37" and by["dot-table"][2] == "64.9"
    assert by["dot-text"][1] != by["dot-table"][1]  # a row per source
    # positions on one shared axis: the gap is proportional to 64.9 - 37 (axis 0..100 over 430 px)
    assert by["dot-table"][0] - by["dot-text"][0] == pytest.approx((64.9 - 37) * 430 / 100, abs=0.2)
    # one value only for TESKAL-1 ORR: nothing to compare, no plot
    assert not (reported / "report_files" / "rev-a-teskal-1--ORR.svg").exists()


def test_report_html_inlines_plots_groups_and_escapes(reported):
    html = (reported / "report.html").read_text(encoding="utf-8")
    assert EVIL not in html and "&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in html
    sections = re.findall(r'<section class="study" id="([^"]+)"', html)
    assert sections == ["study-rev-a-teskal-1", "study-rev-a-orvane-2-teskal-1", "study-rev-a-orvane-2"]
    teskal = html[html.index('id="study-rev-a-teskal-1"') : html.index('id="study-rev-a-orvane-2-teskal-1"')]
    assert teskal.count("<svg") == 1 and 'data-value="64.9"' in teskal  # the CR plot, inline
    assert '<a href="#finding-f-err">f-err</a>' in teskal  # f-warn links back to f-err
    assert "http" not in html.replace("http://www.w3.org/2000/svg", "")  # nothing fetched from a network


def _rules_and_frames():
    studies = pd.DataFrame(
        [
            {
                "doc_id": "rev-a",
                "study_id": "teskal-1",
                "trial": "TESKAL-1",
                "nct_id": "NCT9988",
                "n": 23,
                "sources": "text",
            }
        ]
    )
    outcomes = pd.DataFrame(
        [
            {"doc_id": "rev-a", "study_id": "teskal-1", "trial": "TESKAL-1", "metric": "CR", "value": 137.5,
             "unit": "%", "source": "table", "page": 5, "snippet": "CR 137.5%"},
            {"doc_id": "rev-a", "study_id": "teskal-1", "trial": "TESKAL-1", "metric": "ORR", "value": 58.0,
             "unit": "%", "source": "text", "page": 4, "snippet": "ORR 58%"},
        ]
    )  # fmt: skip
    findings = pd.DataFrame(
        [
            {"finding_id": "f-err", "doc_id": "rev-a", "check": "text_table_mismatch", "severity": "error",
             "study_id": "teskal-1", "trial": "TESKAL-1", "metric": "CR", "values": "text:37 | table:64.9",
             "message": "CR 37 in the text, 64.9 in a table"},
        ]
    )  # fmt: skip
    return studies, outcomes, findings


def test_data_docs_from_a_relative_folder_render_offline_in_chromium(browser_page, tmp_path, monkeypatch):  # noqa: F811
    studies, outcomes, findings = _rules_and_frames()
    monkeypatch.chdir(tmp_path)
    index = data_docs(studies, outcomes, findings, Path("out"), load())  # relative, as `-o out/` gives it
    assert (tmp_path / "out" / "data_docs" / "index.html").is_file() and (
        tmp_path / "out" / "data_docs" / "validations.json"
    ).is_file()
    page = browser_page
    asked: list[str] = []

    def only_files(route):  # the network is blocked: any http(s) fetch is refused and recorded
        asked.append(route.request.url)
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", only_files)
    page.goto((tmp_path / index).resolve().as_uri())
    assert [u for u in asked if not u.startswith("file:")] == []
    body = page.inner_text("body")
    # the failing range expectation names its check, the study and the value
    exp = page.locator("section.expectation", has_text="percent in [0, 100]")
    assert exp.locator(".badge").inner_text() == "failed"
    row = exp.locator("table.unexpected tbody tr").inner_text()
    assert "rev-a" in row and "TESKAL-1" in row and "137.5" in row and "CR" in row
    assert "58" not in row  # the ORR row passed
    # the registry id expectation, per document, and the consistency check with its values
    assert "malformed_id: registry id well-formed" in body
    docs_row = page.inner_text("#documents tbody tr")
    assert docs_row.startswith("rev-a") and "failed" in docs_row
    check = page.inner_text("#check-text_table_mismatch")
    assert "TESKAL-1" in check and "text: 37" in check and "table: 64.9" in check and "error" in check
    assert "Data asset" not in body and "None" not in body


def test_data_docs_failure_is_said_on_the_console_and_in_the_report(tmp_path, capsys):
    import shutil

    import yaml

    from pipeline.batch.docs import DataDocs
    from pipeline.rules import DEFAULT_DIR

    studies, outcomes, findings = _rules_and_frames()
    broken = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, broken)
    (broken / "expectations.yml").write_text(
        yaml.safe_dump({"suites": {"outcomes": [{"type": "ExpectNoSuchThing"}]}}), encoding="utf-8"
    )
    docs = DataDocs(tmp_path / "out", load(broken), broken, "code")
    state = docs.build(lambda: SimpleNamespace(studies=studies, outcomes=outcomes, findings=findings), [])
    assert state.startswith("failed: ") and "unknown expectation type" in state
    assert "Data Docs not built" in capsys.readouterr().err


def test_every_evidence_item_with_a_page_gets_its_own_crop_with_the_value_outlined(tmp_path):
    import hashlib

    from PIL import Image
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from tests.test_review_data import make_pdf

    pdf = tmp_path / "paper.pdf"
    b = make_pdf(pdf)  # "The ORR was 83% (46% of CR)." at x 72, top 300 p1; "CR: 82.8%" at x 300, top 400 p2
    rec = batch()[0]
    rec.row.update(path=str(pdf), sha256=hashlib.sha256(pdf.read_bytes()).hexdigest())
    rec.findings = [
        _finding("f-cr", "rev-a", "teskal-1", "text_table_mismatch", "error", "CR", "CR 46 vs 82.8",
                 [{**_ev("text", "46", "text", 1, snippet="(46% of CR)"), "bbox": b["cr_text"]},
                  {**_ev("table", "82.8", "table", 2), "bbox": b["cr_table"]},
                  _ev("registry", "II", "", 0)]),
        _finding("f-id", "rev-a", "teskal-1", "malformed_id", "warning", "", "no bbox, found on its page",
                 [_ev("text", "128", "table", 2)]),
    ]  # fmt: skip
    write_batch(tmp_path / "out", [rec], {"fail_on": "error", "exit_code": 1})
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[([^\]]*)\]\((report_files/crops/[^)]+)\)", md)
    assert [alt for alt, _ in links] == ["text:46 on page 1", "table:82.8 on page 2", "text:128 on page 2"]
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert all(f'src="{path}"' in html for _, path in links)

    def red_span(path: str) -> tuple[float, float]:
        img = Image.open(tmp_path / "out" / path).convert("RGB")
        xs = [x for x in range(img.width) for y in range(0, img.height, 2) if _red(img.getpixel((x, y)))]
        return min(xs) / 1.5, max(xs) / 1.5  # crops are rendered at scale 1.5 (JPEG: near-red)

    x0 = 72 + stringWidth("The ORR was 83% (", "Helvetica", 12)
    lo, hi = red_span(links[0][1])
    assert abs(lo - x0) < 4 and abs(hi - (x0 + stringWidth("46", "Helvetica", 12))) < 4
    x0 = 300 + stringWidth("CR: ", "Helvetica", 12)
    lo, hi = red_span(links[1][1])
    assert abs(lo - x0) < 4 and abs(hi - (x0 + stringWidth("82.8", "Helvetica", 12))) < 4
    x0 = 72 + stringWidth("n=", "Helvetica", 12)  # "n=128" at x 72, top 400 on page 2
    lo, hi = red_span(links[2][1])
    assert abs(lo - x0) < 4 and abs(hi - (x0 + stringWidth("128", "Helvetica", 12))) < 4


def _red(px: tuple[int, int, int]) -> bool:
    return px[0] > 170 and px[1] < 100 and px[2] < 120  # the outline (220, 20, 60) after JPEG


def test_a_value_is_found_only_where_it_stands_alone():
    from pipeline.pages.locate import Char, find

    def chars(text: str) -> list[Char]:
        return [Char(ch, (10.0 * i, 0.0, 10.0 * i + 9.5, 10.0)) for i, ch in enumerate(text) if ch != " "]

    assert find(chars("of 146 and 4.6 then 46%"), "46") == ((200.0, 0.0, 219.5, 10.0),)
    assert find(chars("phase III and phase II"), "II") == ((200.0, 0.0, 219.5, 10.0),)
    assert find(chars("46.5 only"), "46") == ()
    assert find(chars("CR 82,8 %"), "82.8") == ((30.0, 0.0, 69.5, 10.0),)  # a decimal comma


def test_dot_plot_axis_covers_every_value():
    from pipeline.outputs.bystudy import Point
    from pipeline.outputs.plots import LEFT, RIGHT, W, dot_plot

    for values in ([37, 37], [15.7, 11.4], [1.5e8, 4.5e8], [0.3, 2.0]):
        svg = ET.fromstring(
            dot_plot(
                "T · M",
                "months",
                [Point(v, s, "", 1) for v, s in zip(values, ("text", "table"), strict=True)],
            )
        )
        xs = [float(c.get("cx")) for c in svg.iter("{http://www.w3.org/2000/svg}circle")]
        assert len(xs) == 2 and all(LEFT <= x <= W - RIGHT for x in xs), (values, xs)


def test_a_value_printed_with_a_space_is_found_across_the_gap():
    from pipeline.pages.locate import Char, find

    # "NCT 0123" drawn as glyphs with a gap (no space character) between the two parts
    xs = [0, 8, 16, 30, 38, 46, 54]
    chars = [Char(ch, (x, 0.0, x + 7.0, 10.0)) for ch, x in zip("NCT0123", xs, strict=True)]
    assert find(chars, "NCT 0123") == ((0.0, 0.0, 61.0, 10.0),)
    assert find(chars, "T0") == ()  # a gap is a boundary: "T" and "0" are apart


def test_a_cached_documents_crops_are_reused_and_a_new_documents_are_rendered_again(tmp_path):
    import hashlib

    from pipeline.outputs.crops import write_crops
    from tests.test_review_data import make_pdf

    pdf = tmp_path / "paper.pdf"
    b = make_pdf(pdf)
    rec = batch()[0]
    rec.row.update(path=str(pdf), sha256=hashlib.sha256(pdf.read_bytes()).hexdigest())
    rec.findings = [
        _finding("f-cr", "rev-a", "teskal-1", "text_table_mismatch", "error", "CR", "CR 46 vs 82.8",
                 [{**_ev("text", "46", "text", 1, snippet="(46% of CR)"), "bbox": b["cr_text"]}]),
    ]  # fmt: skip
    out = tmp_path / "out"
    first = write_crops(out, [rec])
    crop = out / first["f-cr"][0]
    assert crop.read_bytes()[:2] == b"\xff\xd8"  # a JPEG was rendered
    crop.write_bytes(b"kept")  # stands for the crop an earlier run left
    rec.row["cached"] = True
    assert write_crops(out, [rec]) == first and crop.read_bytes() == b"kept"
    rec.row["cached"] = False
    assert write_crops(out, [rec]) == first and crop.read_bytes()[:2] == b"\xff\xd8"


def test_crops_read_each_page_once_and_the_budget_follows_report_order(tmp_path, monkeypatch):
    import hashlib

    from pipeline.outputs.crops import write_crops
    from pipeline.pages import locate, render
    from tests.test_review_data import make_pdf

    pdf = tmp_path / "paper.pdf"
    make_pdf(pdf)
    rec = batch()[0]
    rec.row.update(path=str(pdf), sha256=hashlib.sha256(pdf.read_bytes()).hexdigest())
    pages = [2, 1, 2, 1, 2]  # report order alternates between the two pages
    rec.findings = [
        _finding(f"f{i}", "rev-a", "teskal-1", "grim", "error", "CR", "m", [_ev("v", "82.8", "table", p)])
        for i, p in enumerate(pages)
    ]
    reads, loads, opens = [], [], []
    real_read, real_load, real_open = locate.read_chars, render.load_page, render.pdfium_document
    monkeypatch.setattr(locate, "read_chars", lambda pg: reads.append(pg) or real_read(pg))
    monkeypatch.setattr(render, "load_page", lambda pdf, page: loads.append(page) or real_load(pdf, page))
    monkeypatch.setattr(render, "pdfium_document", lambda path: opens.append(path) or real_open(path))
    made = write_crops(tmp_path / "out", [rec])
    # the document opened once, each page loaded once for its characters and its image (five crops)
    assert opens == [str(pdf)] and sorted(loads) == [1, 2] and len(reads) == 2 and len(made) == 5
    reads.clear()
    made = write_crops(tmp_path / "out3", [rec], limit=3)
    assert sorted(made) == ["f0", "f1", "f2"]  # the first three in report order, not in page order
