"""A console form over its size limit, in a real browser: a Chinese page with the limit, and the browser's back
returns to the form with what was typed still in it."""

from __future__ import annotations

import pytest

from tests.console.conftest import TOWN
from tests.console.desk_browser import browser, by, downloads, server, sign_in, text  # noqa: F401 (fixtures)
from tests.field.browser import shoot, skip_reason, wait_for

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")


def test_a_form_over_the_limit_says_so_and_back_keeps_what_was_typed(server, browser, demo_engine):
    By = by()
    sign_in(browser, server, demo_engine, "leader", TOWN)
    browser.get(f"{server.url}/console/command/notices")
    browser.find_element(By.NAME, "title").send_keys("超长的通知")
    # more than the form's limit (the text area's maxlength lifted, as an old browser or a paste tool would)
    browser.execute_script("const c = document.getElementsByName('content')[0]; c.removeAttribute('maxlength');"
                           "c.value = '字'.repeat(30000);")
    browser.find_element(By.CSS_SELECTOR, "#post-notice button.primary").click()
    wait_for(lambda: "提交的内容过大" in text(browser), what="the page for a form over its limit")
    assert "上限 180 KB" in text(browser) and "后退" in text(browser)
    shoot(browser, "console_form_too_large")
    browser.back()
    wait_for(lambda: browser.find_elements(By.NAME, "title"), what="the form again")
    assert browser.find_element(By.NAME, "title").get_attribute("value") == "超长的通知"
    assert len(browser.find_element(By.NAME, "content").get_attribute("value")) == 30000
