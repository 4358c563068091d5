"""Imported once by the PDF renderer's forkserver (cchc_portal/lib/documents.py, `_context`),
never by the web process: lays out a tiny document so that fontconfig has read its fonts and
every render's child, forked from the server, starts warm instead of paying for it again."""

from __future__ import annotations

import contextlib

from cchc_portal.lib.documents import _layout

WARM_UP = '<html lang="vi"><body style="font-family: Tinos"><p>Cộng hòa <b>xã hội</b> <i>chủ nghĩa</i></p></body></html>'

# A cold start is slower, never broken: each render then reads the fonts for itself.
with contextlib.suppress(Exception):
    _layout(WARM_UP, None)
