"""The clinician page in a real browser: Debian's headless Chromium (/usr/bin/chromium, installed by
`make test`) driven by playwright (its own browser downloads fail here: never `playwright install`).
The app runs under uvicorn on a free loopback port; the test signs in with the token, fills the form
with the keyboard and the mouse, submits, reads the risk, checks that the console has no errors and
saves the screenshots of docs/screenshots/ (clinic-form.png, clinic-errors.png, clinic-report.png)."""

from __future__ import annotations

import datetime
import re
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TOKEN = "browser-test-token"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(models):
    """The clinician page under uvicorn on 127.0.0.1 (a thread of this process), with sign-in."""
    import hmac

    import uvicorn

    from rashrisk.clinic import create_clinic_app

    app = create_clinic_app(models=models, model_sources={"start": "embedded default bundle (test)",
                                                          "tdm": "embedded default bundle (test)"},
                            check_token=lambda t: hmac.compare_digest(t.encode(), TOKEN.encode()))
    # a fixed report date: the committed screenshots do not change from one day to the next
    from functools import partial

    from rashrisk.reports.patient import build_report_data

    app.state.clinic.build_report_data = partial(build_report_data, generated_on=datetime.date(2026, 12, 3))
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        assert time.monotonic() < deadline, "uvicorn did not start within 30 s"
        assert thread.is_alive(), "uvicorn stopped"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: run `make system-browser` (apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        found = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield found
        found.close()


def dominant_colour_share(png: bytes) -> float:
    """The share of the most common colour of a screenshot (a blank page is one colour)."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").resize((275, 375))
    return max(count for count, _ in image.getcolors(maxcolors=275 * 375)) / (275 * 375)


def _console(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    return problems


def _fill_patient(page) -> None:
    page.fill("#f-patient_id", "GIST-042")
    page.select_option("#f-sex", "F")
    page.fill("#f-age_years", "61")
    page.fill("#f-weight_kg", "52")
    page.fill("#f-height_cm", "158")
    page.select_option("#f-ancestry", "EAS")
    page.select_option("#f-setting", "adjuvant")
    page.fill("#f-start_dose_mg", "400")
    page.fill("#f-start_date", "2025-03-03")
    page.select_option("#f-genotype_rs4129267", "T/T")
    page.select_option("#f-genotype_rs2231142", "G/T")
    page.fill("#f-tdm1_sample_time", "2025-03-17T08:00")
    page.fill("#f-tdm1_hours_after_dose", "23.8")
    page.fill("#f-tdm1_concentration", "2150")
    page.select_option("#f-skin_rash_grade", "3")
    page.check("input[name=skin_fever][value=present]")


def test_sign_in_fill_submit_and_read_the_risk(server, browser):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    problems = _console(page)
    page.goto(server)
    assert page.locator("#f-token").is_visible(), "without the cookie the page asks for the token"
    page.fill("#f-token", "wrong")
    page.click("button[type=submit]")
    assert "The token was not accepted" in page.content()
    page.fill("#f-token", TOKEN)
    page.keyboard.press("Enter")
    page.wait_for_selector("#patient-form")
    # the only console lines so far are Chromium's notes of the two sign-in pages answered with 401
    assert problems == ["error: Failed to load resource: the server responded with a status of 401 (Unauthorized)"] * 2, problems
    problems.clear()
    cookie = next(c for c in page.context.cookies() if c["name"] == "rashrisk_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == "", "page scripts cannot read the token"

    # keyboard: the first Tab reaches the skip link, then the form's first field in order
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    _fill_patient(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "clinic-form.png"), clip={"x": 0, "y": 0, "width": 1100, "height": 1500},
                    full_page=True)

    # an error first: the contract's message next to the field, and the summary focused and linked
    page.fill("#f-age_years", "-5")
    page.click("#score-button")
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    link = page.locator("#error-summary a").first
    assert link.get_attribute("href") == "#f-age_years"
    assert "'-5' ... expected >= 0 and <= 120" in page.locator("#f-age_years").evaluate(
        "e => e.parentElement.innerText")
    assert page.locator("#f-age_years").get_attribute("aria-invalid") == "true"
    page.keyboard.press("Tab")  # from the summary to its first link, which takes the focus to the field
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "f-age_years"
    assert page.input_value("#f-weight_kg") == "52", "the other values are kept"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "clinic-errors.png"), clip={"x": 0, "y": 0, "width": 1100, "height": 900},
                    full_page=True)

    assert problems == ["error: Failed to load resource: the server responded with a status of 422 "
                        "(Unprocessable Entity)"], problems  # the form answered 422: no other message
    problems.clear()
    page.fill("#f-age_years", "61")
    page.focus("#score-button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#clinic-result")
    risk_text = page.inner_text("#clinic-risk")
    assert re.fullmatch(r"\d{1,2}\.\d%", risk_text), risk_text
    assert page.evaluate("document.activeElement.id") == "result-heading"
    report = page.locator("#report")
    assert "trained on simulated data" in report.inner_text()
    assert page.locator("#report .risk-number").inner_text() == risk_text
    assert page.locator("#report #red-flag-alert").count() == 1  # fever present: the stop option
    assert page.locator("#print-report").is_visible()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "clinic-report.png"), clip={"x": 0, "y": 0, "width": 1100, "height": 1500},
                    full_page=True)
    for name in ("clinic-form.png", "clinic-errors.png", "clinic-report.png"):
        share = dominant_colour_share((SCREENSHOTS / name).read_bytes())
        assert share < 0.95, f"{name} looks blank ({share:.1%} one colour)"

    with page.expect_download() as info:
        page.click("button[name=format][value=html]")
    download = info.value
    assert download.suggested_filename == "rashrisk-report-GIST-042-tdm.html"
    assert risk_text in Path(download.path()).read_text(encoding="utf-8")

    # printing shows the report, not the form: Chromium's own print to A4, read back
    import io

    from pypdf import PdfReader

    printed = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(page.pdf(format="A4"))).pages)
    assert "rashrisk report · page 1 of" in printed and risk_text in printed and "simulated data" in printed
    assert "Score and show the report" not in printed and "Download the report" not in printed
    page.emulate_media(media="print")
    assert not page.locator("#patient-form").is_visible() and page.locator("#report").is_visible()
    assert problems == [], problems
    page.close()
