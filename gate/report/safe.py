"""Text from launch files, made safe for where it is shown.

Launch files are written by people with write access, and what they write reaches a release manager's
terminal and the pull request's comment. An escape sequence could rewrite the screen (hide a line,
fake a GO), a bidirectional override could reorder what is read, HTML could restyle the comment, and an
@mention could page a whole team. Each is shown for what it is, never acted on.
"""

from __future__ import annotations

import html
import re

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and isolates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: str) -> str:
    """`text` with every control character and bidi override written out (`\\x1b`), not obeyed."""
    return _UNSAFE.sub(_shown, text)


def markdown(text: str) -> str:
    """`text` for a Markdown table cell or list item: no HTML, no pipes, no newlines, no @mentions."""
    escaped = html.escape(terminal(text), quote=False)
    return escaped.replace("|", "\\|").replace("\n", " ").replace("\r", " ").replace("@", "&#64;")


def code(text: str) -> str:
    """`text` as a Markdown code span that no backtick in it can end early."""
    clean = terminal(text).replace("\n", " ")
    fence = "``" if "`" in clean else "`"
    return f"{fence} {clean} {fence}" if fence == "``" else f"`{clean}`"
