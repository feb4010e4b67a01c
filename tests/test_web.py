"""The search page in a real headless Chromium, against a real server on 127.0.0.1."""

import os
from pathlib import Path

import pytest

from .conftest import serve

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
OUTPUT = Path(os.environ.get("COUNCILQA_TEST_OUTPUT", "test-output")) / "web"


def words(text: str) -> str:
    """Text with its whitespace collapsed (the page and the reader wrap lines differently)."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def server(settings, embedder, built_index):
    from councilqa.api import create_app

    yield from serve(create_app(settings, embedder))


@pytest.fixture(scope="module")
def llm_server(settings, embedder, built_index):
    """The app with an LLM configured: the fake OpenAI-compatible server of the API tests."""
    from councilqa.api import create_app

    from .fake_llm import FakeLLM

    with FakeLLM() as fake:
        fake.mode = "slow-stream"  # words arrive 0.6 s apart, so the page shows it streaming
        fake.reply = "Liverpool City Council is setting up an energy company [1]."
        configured = settings.model_copy(
            update={"llm_base_url": fake.url, "llm_model": "fake-model", "llm_timeout_s": 20}
        )
        yield from serve(create_app(configured, embedder))


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def _ask(page, question: str, *, generate: bool = False, enter: bool = False) -> None:
    """Type a question, tick the LLM box if asked, and submit by Enter or by the button."""
    page.get_by_label("Question").fill(question)
    if generate:
        page.get_by_label("Write the answer with the LLM").check()
    if enter:
        page.keyboard.press("Enter")
    else:
        page.get_by_role("button", name="Search").click()


def test_ask_cite_and_read(server, browser):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(server + "/")
    page.wait_for_function("document.querySelectorAll('#council option').length > 10")
    assert page.locator("#source option").count() == 6  # "Any report" + five reports

    _ask(page, "which councils run municipal energy companies?", enter=True)
    page.wait_for_selector("article.passage")
    page.wait_for_selector("#answer a.cite")
    assert page.locator("article.passage").count() >= 5
    assert "Liverpool City Council" in page.locator("#answer").inner_text()
    assert page.locator("article.passage mark").count() > 0  # query terms highlighted
    page.screenshot(path=str(OUTPUT / "results.png"), full_page=True)

    # The citation for Liverpool jumps to its passage and shows its span in the report.
    cite = page.locator("#answer li", has_text="Liverpool City Council").locator("a.cite").first
    n = cite.get_attribute("data-n")
    cite.click()
    passage = page.locator(f"#passage-{n}")
    assert "focus" in passage.get_attribute("class")
    assert "Liverpool City Council" in passage.inner_text()
    passage_text = words(passage.locator("p").inner_text())
    cited = page.locator("#reader mark.cited")
    cited.wait_for(state="visible")
    span_text = words(cited.inner_text())
    assert span_text and span_text in passage_text  # the cited span is the passage's text
    page.keyboard.press("Escape")
    assert page.locator("#reader").is_hidden()
    assert page.evaluate("document.activeElement.id") == f"passage-{n}"

    # "Read in report" opens the same span; Close puts the focus back on the button.
    passage.get_by_role("button", name="Read in report").click()
    cited.wait_for(state="visible")
    assert words(cited.inner_text()) == span_text
    assert "Liverpool" in span_text
    assert cited.evaluate(
        "m => { const r = m.getBoundingClientRect(), p = m.closest('#reader-text')"
        ".getBoundingClientRect(); return r.top < p.bottom && r.bottom > p.top; }"
    ), "the cited span is scrolled into view"
    page.screenshot(path=str(OUTPUT / "reader.png"))
    page.get_by_role("button", name="Close").click()
    assert page.locator("#reader").is_hidden()
    assert page.evaluate("document.activeElement.className") == "read"
    page.close()


def test_streamed_answer_without_llm(server, browser):
    """With "Write the answer with the LLM" the page reads the SSE stream; with no LLM
    configured it shows the answer built from the passages and says why, in a notice."""
    page = browser.new_page()
    page.goto(server + "/")
    _ask(page, "which councils run municipal energy companies?", generate=True)
    page.wait_for_selector("#answer a.cite")
    assert page.locator("article.passage").count() >= 5
    assert "Liverpool City Council" in page.locator("#answer").inner_text()
    assert page.locator("#status").inner_text().endswith("passages.")
    # The `server` fixture configures no LLM.
    assert "no LLM is configured" in page.locator("#answer .notice").inner_text()
    page.close()


def test_abstains_but_shows_closest_passages(server, browser):
    page = browser.new_page()
    page.goto(server + "/")
    _ask(page, "What is the boiling point of tungsten in kelvin?", enter=True)
    page.wait_for_selector("#answer.abstained")
    assert "The reports don't say." in page.locator("#answer").inner_text()
    assert page.locator("#passages-title").inner_text() == "Closest passages"
    assert page.locator("article.passage").count() > 0
    assert not page.locator("#answer a.cite").count()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "abstained.png"))
    page.close()


def test_empty_question_and_bad_input_messages(server, browser):
    page = browser.new_page()
    page.goto(server + "/")
    page.get_by_role("button", name="Search").click()
    assert page.locator("#status").inner_text() == "Type a question first."
    page.get_by_label("Question").fill("x" * 1000)
    page.evaluate("document.getElementById('q').value += 'yy'")  # past the input's maxlength
    page.get_by_role("button", name="Search").click()
    page.wait_for_function(
        "document.getElementById('status').classList.contains('error')"
        " && document.getElementById('status').textContent.includes('limit')"
    )
    page.close()


def test_service_down_message(server, browser):
    page = browser.new_page()
    page.goto(server + "/")
    page.route("**/ask", lambda route: route.abort())
    _ask(page, "apprenticeships")
    page.wait_for_function("document.getElementById('status').textContent.includes('Cannot reach')")
    page.close()


def test_narrow_screen(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server + "/")
    _ask(page, "What has Southwark done about apprenticeships?", enter=True)
    page.wait_for_selector("article.passage")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing forces a horizontal scroll
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "mobile.png"), full_page=False)
    page.close()


def test_generated_answer_streams_in(llm_server, browser):
    page = browser.new_page()
    page.goto(llm_server + "/")
    _ask(page, "Which council set up an energy company?", generate=True)
    # Passages arrive first, then the answer grows word by word before it is final.
    page.wait_for_selector("article.passage")
    page.wait_for_function(
        "document.querySelector('#answer p') && "
        "document.querySelector('#answer p').textContent.startsWith('Liverpool City')"
    )
    assert not page.locator("#answer a.cite").count()  # still streaming: plain text so far
    page.wait_for_selector("#answer a.cite", timeout=15_000)
    final = page.locator("#answer p").first.inner_text()
    assert final == "Liverpool City Council is setting up an energy company [1]."
    page.locator("#answer a.cite").first.click()
    assert "focus" in page.locator("#passage-1").get_attribute("class")
    page.close()
