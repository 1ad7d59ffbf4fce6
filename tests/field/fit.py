"""What every phone page is held to, at 390×844 (or the size the test set): nothing past the screen's edge, no
sideways scrolling, a thumb's target for every control, no count broken from its label, no file picker in the
browser's own language, and no English or programming word on screen. `fits(driver, name)` screenshots the page (SANDBOX_SCREENSHOTS) and checks it."""

from __future__ import annotations

import re

from tests.field.browser import shoot

__all__ = ["fits"]

# Elements wider than the screen or past its edges (the file input hidden off-screen on purpose aside), the
# page's scroll width, buttons and tabs under 44 px, and the text on screen.
_MEASURE = """
var W = document.documentElement.clientWidth, out = {past: [], small: []};
out.scroll = document.documentElement.scrollWidth; out.width = W;
document.querySelectorAll('body *').forEach(function (e) {
  var r = e.getBoundingClientRect(), cs = getComputedStyle(e);
  if (!r.width || !r.height || cs.visibility === 'hidden' || e.classList.contains('file')) return;
  if (r.right > W + 0.5 || r.left < -0.5)
    out.past.push(e.tagName + (e.id ? '#' + e.id : '') + ' ' + Math.round(r.left) + '..' + Math.round(r.right) +
                  ' ' + (e.innerText || e.value || '').slice(0, 24));
});
// a file picker shown as the browser draws it counts too (one hidden behind its label button is 1 px)
document.querySelectorAll('a.btn, button, nav a, label.btn, .chip, select, input:not([type=hidden]):not(.file)')
  .forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.width && r.height < 44) out.small.push(e.tagName + ' ' + Math.round(r.height) + ' ' + (e.innerText || '').slice(0, 16));
  });
// a count broken from its label or its unit ("待审核" at a line's end, "0" below; "剩 8" above "天"): a short label,
// its number and a one-character unit within one text node, laid out on two lines (free text a person wrote, in
// .text, may break anywhere)
out.broken = [];
var walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), node, m;
var COUNT = /[\\u4e00-\\u9fff]{1,4}[ \\u00a0]\\d+(?:[ \\u00a0][\\u4e00-\\u9fff](?![\\u4e00-\\u9fff]))?/g;
while ((node = walk.nextNode())) {
  if (!node.parentElement || node.parentElement.closest('.text, textarea, option, script, style')) continue;
  COUNT.lastIndex = 0;
  while ((m = COUNT.exec(node.data))) {
    var range = document.createRange();
    range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
    var tops = Array.prototype.map.call(range.getClientRects(), function (r) { return Math.round(r.bottom); });
    if (tops.length && Math.max.apply(null, tops) - Math.min.apply(null, tops) > 4) out.broken.push(m[0]);
  }
}
// a file input as the browser draws it: its words ("Choose Files", "No file chosen") follow the browser's
// language, not the page's (one hidden behind a Chinese label button is 1 px)
out.native = Array.prototype.filter.call(document.querySelectorAll('input[type=file]'), function (e) {
  return e.getBoundingClientRect().width > 2 && getComputedStyle(e).opacity !== '0';
}).map(function (e) { return e.id || e.name; });
out.text = document.body.innerText;
return out;
"""
# Words a page must not show a cadre: programming leftovers and English UI words (WGS-84, JPEG, PNG, GPS, MB
# and the like are what a phone user sees elsewhere too).
_UNTRANSLATED = re.compile(r"\b(undefined|null|NaN|true|false|object|pending|open|closed|overdue|reported|"
                           r"returned|error|loading|submit|cancel|back|home|status|[a-z]+_[a-z_]+)\b")


def fits(driver, page: str) -> None:
    shoot(driver, "fit-" + page)
    m = driver.execute_script(_MEASURE)
    assert m["scroll"] <= m["width"], f"{page}: sideways scrolling ({m['scroll']} px wide): {m['past'][:5]}"
    assert m["past"] == [], f"{page}: past the screen's edge: {m['past'][:5]}"
    assert m["small"] == [], f"{page}: too small to tap: {m['small'][:5]}"
    assert m["broken"] == [], f"{page}: a count broken from its label across lines: {m['broken'][:5]}"
    assert m["native"] == [], f"{page}: the browser's own file picker, in the browser's language: {m['native']}"
    words = sorted(set(_UNTRANSLATED.findall(m["text"])))
    assert words == [], f"{page}: untranslated: {words}"
