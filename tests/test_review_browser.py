"""The review queue in a real browser: Playwright driving Debian's chromium (installed by
`make e2e-deps` / CI with apt; never `playwright install`) against uvicorn on 127.0.0.1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.review import Store, create_app, sync
from tests.test_review_data import Server, make_run, read_csv

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page(tmp_path: Path):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium not installed (make e2e-deps)")
    from playwright.sync_api import sync_playwright

    profile = tmp_path / "profile"
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            yield ctx.new_page()
        finally:
            ctx.close()
            shutil.rmtree(profile, ignore_errors=True)


def test_settle_items_with_the_keyboard(browser_page, tmp_path):
    page = browser_page
    out = make_run(tmp_path / "run")
    store = Store(f"sqlite:///{out / 'review.db'}")
    sync(store, out)
    cr, n = store.get("f-cr"), store.get("f-n")
    with Server(create_app(store, out)) as srv:
        page.goto(srv.url + "/")
        assert "4 items" in page.inner_text("#counts")
        page.keyboard.press("j")  # cursor on the first row
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/items/{cr.pk}")
        assert page.evaluate("window.__pwned") is None  # the PDF's <script> did not run
        assert "<script>window.__pwned=1</script>" in page.inner_text("#part-0 .snippet")
        assert page.eval_on_selector("#part-1 img", "img => img.complete && img.naturalWidth") == 1224
        page.keyboard.press("x")  # no curator name yet: the page asks for it
        assert page.inner_text("#hint") == "Enter your name first."
        page.fill("#curator", "Ann Curator")
        page.fill("#comment", "82.8 copied from another table")
        page.keyboard.press("Escape")
        page.keyboard.press("x")  # accept the text value
        page.wait_for_url(f"**/items/{n.pk}")
        assert page.input_value("#curator") == "Ann Curator"  # remembered
        page.keyboard.press("c")  # enter a corrected value
        page.keyboard.type("135")
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: not url.endswith(f"/items/{n.pk}"))
        page.keyboard.press("k")  # back to the item just settled
        page.wait_for_url(f"**/items/{n.pk}")
        assert page.inner_text("#status") == "corrected"

    got = store.get("f-cr")
    assert (got.status, got.decision.curator, got.decision.value) == ("accepted", "Ann Curator", "46")
    assert got.decision.comment == "82.8 copied from another table"
    assert store.get("f-n").decision.value == "135"
    outcomes = read_csv(out / "curated" / "outcomes.csv")
    assert [o["value"] for o in outcomes if o["metric"] == "CR"] == ["46", "46"]
    assert [o["value"] for o in outcomes if o["metric"] == "N"] == ["135", "135"]


def _pdf_box(page, figure: str) -> tuple[float, float, float, float]:
    """The value box drawn over a crop, in PDF points: its screen rectangle mapped through the
    overlay's viewBox (the crop's region of the page) and the image's displayed size."""
    return page.eval_on_selector(
        figure,
        """fig => {
            const img = fig.querySelector('.crop img').getBoundingClientRect();
            const r = fig.querySelector('rect.value-box').getBoundingClientRect();
            const [x, y, w, h] = fig.querySelector('svg.overlay').getAttribute('viewBox').split(' ').map(Number);
            const sx = w / img.width, sy = h / img.height;
            return [x + (r.left - img.left) * sx, y + (r.top - img.top) * sy,
                    x + (r.right - img.left) * sx, y + (r.bottom - img.top) * sy];
        }""",
    )


def test_queue_groups_and_item_page_outlines_the_values_own_characters(browser_page, tmp_path):
    from reportlab.pdfbase.pdfmetrics import stringWidth

    page = browser_page
    out = make_run(tmp_path / "run")
    store = Store(f"sqlite:///{out / 'review.db'}")
    sync(store, out)
    cr = store.get("f-cr")
    with Server(create_app(store, out)) as srv:
        page.goto(srv.url + "/")
        assert page.inner_text("tr.group-head").startswith("paper › TRIAL-A")
        badge = page.locator(f'tr[data-pk="{cr.pk}"] .badge')
        assert badge.inner_text() == "error"
        assert badge.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(176, 0, 32)"
        assert (
            page.locator(f'tr[data-pk="{cr.pk}"]').evaluate("r => getComputedStyle(r).color")
            != "rgb(176, 0, 32)"
        )
        page.keyboard.press("/")
        page.keyboard.type("Trial A enrolled")  # words of a snippet
        page.keyboard.press("Enter")
        page.wait_for_url("**/?q=Trial+A+enrolled*")
        assert page.locator("tr.item").count() == 1 and "n_mismatch" in page.inner_text("#queue")

        page.goto(f"{srv.url}/items/{cr.pk}")
        page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
        # text value "46" within "The ORR was 83% (46% of CR)." drawn at x 72, top 300 (Helvetica 12)
        x0 = 72 + stringWidth("The ORR was 83% (", "Helvetica", 12)
        want = (x0, 300, x0 + stringWidth("46", "Helvetica", 12), 312)
        got = _pdf_box(page, "#part-0")
        assert all(abs(g - w) < 1.0 for g, w in zip(got, want, strict=True)), (got, want)
        # table value "82.8" in the cell "CR: 82.8%" at x 300, top 400 on page 2
        x0 = 300 + stringWidth("CR: ", "Helvetica", 12)
        want = (x0, 400, x0 + stringWidth("82.8", "Helvetica", 12), 412)
        got = _pdf_box(page, "#part-1")
        assert all(abs(g - w) < 1.0 for g, w in zip(got, want, strict=True)), (got, want)
        assert page.inner_text("#part-0 .snippet mark.ent-VALUE").startswith("46")
        assert (
            page.locator("#part-0 .snippet mark.ent-VALUE").evaluate(
                "m => getComputedStyle(m).backgroundColor"
            )
            == "rgb(255, 224, 138)"
        )  # styled by review.css, not by an inline style the CSP refuses
