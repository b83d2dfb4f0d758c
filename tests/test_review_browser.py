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
