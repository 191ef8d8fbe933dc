"""kramdown and Goldmark extras that real Jekyll and Hugo posts use but
CommonMark would print as text: inline attribute lists (``{: .class}``,
``{:toc}``), extension tags (``{::options ... /}``, ``{::comment}``),
heading attributes (``## Title {#id}``) and ``*[HTML]: ...`` abbreviation
definitions. None of them is content, so they go before parsing; lines are
blanked rather than removed, so every later line keeps its number. Fenced
code is left alone.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_IAL_LINE = re.compile(r"^\s*\{:[^}]*\}\s*$|^\s*\{::(?!comment)[^}]*/?\}\s*$")
_IAL_TRAILING = re.compile(r"\s*\{:\s*[^}]*\}\s*$")
_HEADING_ATTRS = re.compile(r"^(\s{0,3}#{1,6}\s.*?)\s*\{(?:[#.][\w-]+\s*|[\w-]+=\S+\s*)+\}\s*$")
_ABBREVIATION = re.compile(r"^\s{0,3}\*\[[^\]]+\]:")
_TOC_ITEM = re.compile(r"^\s*(?:[*+-]|1\.)\s+(?:TOC|Table of Contents)\s*$", re.IGNORECASE)
_COMMENT_OPEN = re.compile(r"^\s*\{::comment\}")
_COMMENT_CLOSE = re.compile(r"\{:/comment\}|\{:/\}")


def strip_attributes(text: str) -> str:
    lines = text.split("\n")
    fence: str | None = None
    in_comment = False
    for i, line in enumerate(lines):
        fm = _FENCE.match(line)
        if fence is not None:
            if fm and fm.group(1)[0] == fence[0] and len(fm.group(1)) >= len(fence):
                fence = None
            continue
        if fm:
            fence = fm.group(1)
            continue
        if in_comment or _COMMENT_OPEN.match(line):
            in_comment = not _COMMENT_CLOSE.search(line)
            lines[i] = ""
            continue
        if _IAL_LINE.match(line) or _ABBREVIATION.match(line):
            if "{:toc}" in line.replace(" ", "") and i > 0 and _TOC_ITEM.match(lines[i - 1]):
                lines[i - 1] = ""  # kramdown's generated contents replaces the "* TOC" item
            lines[i] = ""
            continue
        heading = _HEADING_ATTRS.match(line)
        if heading:
            lines[i] = heading.group(1)
        elif "{:" in line:
            lines[i] = _IAL_TRAILING.sub("", line)
    return "\n".join(lines)
