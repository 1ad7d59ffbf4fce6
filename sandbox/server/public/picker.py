"""The complaint form's photo picker: the one script a public page runs, allowed by its hash alone.

The browser draws a file input in its own language ("Choose Files" / "No file chosen" on an English
system); the form shows a Chinese button (the input's label) instead, and this script writes the chosen
files' names beside it. Without it the button still works; only the names are not shown."""

from __future__ import annotations

import base64
import hashlib

__all__ = ["PICKER_JS", "FORM_HEADERS"]

# ES5, no framework: the input `.file` hidden behind its label; `[data-chosen]` names what it holds.
PICKER_JS = """(function () {
  var input = document.getElementById('photos'), out = document.querySelector('[data-chosen]');
  if (!input || !out) return;
  function show() {
    var names = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
    out.textContent = names.length ? '已选择 ' + names.length + ' 张: ' + names.join('、') : '未选择照片';
  }
  input.addEventListener('change', show);
  show();
})();"""

_HASH = base64.b64encode(hashlib.sha256(PICKER_JS.encode()).digest()).decode()
# the pages' own policy (sandbox.server.public.routes.HEADERS) plus this script and nothing else
FORM_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                                           f"script-src 'sha256-{_HASH}'; form-action 'self'; base-uri 'none'; "
                                           "frame-ancestors 'none'"}
