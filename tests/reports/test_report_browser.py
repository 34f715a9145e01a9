"""The report in a real browser: headless Chromium (Debian's `chromium`, installed by `make test`)
renders it without console errors, the page is not blank, and every section is in the DOM."""

import io
import re
import subprocess
from pathlib import Path

import pytest

from rashrisk.reports.render import render_report_html

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]
CONSOLE = re.compile(r"CONSOLE[:(]|Uncaught", re.IGNORECASE)
SECTIONS = ("header", "disclaimer", "risk", "factors", "trough", "options", "inputs", "model")

pytestmark = pytest.mark.browser


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: run `make system-browser` (apt-get install chromium)"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
                          capture_output=True, text=True, timeout=180)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if CONSOLE.search(line)]


def dominant_colour_share(png: bytes) -> float:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").resize((310, 438))
    colours = image.getcolors(maxcolors=310 * 438)
    return max(count for count, _ in colours) / (310 * 438)


def check_page(page: Path, tmp_path: Path) -> tuple[str, list[str], float]:
    """(DOM, console messages, share of the most common colour in a screenshot)."""
    dom = chromium(page, tmp_path / "profile-dom", "--dump-dom")
    shot = tmp_path / "shot.png"
    screenshot = chromium(page, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1240,1754",
                          "--hide-scrollbars")
    assert shot.is_file(), screenshot.stderr[-2000:]
    return dom.stdout, console_messages(dom.stderr + screenshot.stderr), dominant_colour_share(shot.read_bytes())


@pytest.mark.parametrize("which", [0, 1], ids=["start", "tdm"])
def test_report_renders_in_chromium(report_pair, tmp_path, which):
    data = report_pair[which]
    page = tmp_path / "report.html"
    page.write_text(render_report_html(data), encoding="utf-8")
    dom, console, share = check_page(page, tmp_path)
    assert console == []
    assert share < 0.95, f"page looks blank ({share:.1%} one colour)"
    for section in SECTIONS:
        assert f'id="{section}"' in dom, section
    assert dom.count("<svg") >= 3 and data["patient_id"] in dom
    assert ('id="change"' in dom) == (data["stage"] == "tdm")


def test_the_checks_catch_a_broken_and_a_blank_page(tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text("<html><body><p>text</p><script>undefinedFunction();</script></body></html>")
    _, console, _ = check_page(broken, tmp_path)
    assert any("undefinedFunction" in line for line in console)
    blank = tmp_path / "blank.html"
    blank.write_text("<html><body></body></html>")
    _, console, share = check_page(blank, tmp_path)
    assert console == [] and share > 0.99


def _skin_report(models, skin):
    import rashrisk

    document = {"patient_id": "SKIN-B", "sex": "F", "age_years": 47, "weight_kg": 58, "start_dose_mg": 400,
                "start_date": "2025-05-05", "ancestry": "EUR", "setting": "adjuvant",
                "genotypes": {"rs4129267": "C/T"}, "skin": skin,
                "tdm": [{"sample_time": "2025-05-19T07:55", "last_dose_time": "2025-05-18T08:00", "dose_mg": 400,
                         "concentration": 1.1, "unit": "ug/mL"}]}
    return rashrisk.report("SKIN-B", document, "tdm", model=models["tdm"], start_model=models["start"])


def _option_classes(dom: str) -> list[str]:
    return re.findall(r'<li class="option-([a-z_0-9]+)"', dom)


def test_the_red_flag_screen_in_chromium(models, tmp_path):
    """Issue 11 "Done when": in the rendered page a severe rash with one red flag present shows the alert
    and only the stop option; with all six recorded absent, desensitisation is offered and no alert."""
    from rashrisk.reports.skin import RED_FLAGS

    absent = dict.fromkeys(RED_FLAGS, False)
    pages = {"flag": {"rash_grade": 3, "recurrent": False, **absent, RED_FLAGS[0]: True},
             "clear": {"rash_grade": 3, "recurrent": False, **absent}}
    doms = {}
    for name, skin in pages.items():
        page = tmp_path / f"{name}.html"
        page.write_text(render_report_html(_skin_report(models, skin)), encoding="utf-8")
        dom, console, share = check_page(page, tmp_path / name)
        assert console == [] and share < 0.95, name
        doms[name] = dom
    assert 'id="red-flag-alert"' in doms["flag"] and "Red flag present" in doms["flag"]
    assert "stop" in _option_classes(doms["flag"]) and "desensitisation" not in _option_classes(doms["flag"])
    assert 'id="red-flag-alert"' not in doms["clear"]
    assert "desensitisation" in _option_classes(doms["clear"]) and "stop" not in _option_classes(doms["clear"])
    assert doms["clear"].count('class="flag-absent"') == len(RED_FLAGS)
