"""Real-world sources (issue 15): a fetched Hugo or Jekyll content folder,
exported exactly as it is by the installed storyexport and by pandoc, post by
post, and measured with readers independent of both.

Per site it reports posts found (storyexport's own scan), posts exported,
EPUBCheck-clean books (every EPUB in one JVM), the share of each body's words
kept in EPUB, DOCX (and HTML), and template delimiters leaked outside code.
A body's words come from the source, not from storyexport's model: the text
after the front matter, every shortcode or Liquid call removed (inner text of
paired ones kept, ``{% raw %}`` literal), read by ``pandoc -t plain``
(``bench/site_text.py``); they are compared as multisets of normalised word
tokens.

Usage: ``python bench/sites.py SOURCE_DIR [--config FILE] [--out DIR]``
(``--root`` for the site's root when it is not SOURCE_DIR itself: a Jekyll
``_posts`` folder defaults to its parent when that holds ``_config.yml``).
Nothing fetched is written anywhere but the output folder.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))
from site_text import DELIMITERS, output_text, source_plain_text, words
from storyexport.epubcheck import check_epubs
from storyexport.readers import is_source, layout

EXE = str(Path(sys.executable).parent / "storyexport")
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "LC_ALL": "C.UTF-8"}
# pandoc takes a book's language from LANG; "C" would be an invalid tag (OPF-092)
PANDOC_ENV = {**ENV, "LANG": "en_US.UTF-8"}
FORMATS = ("epub", "docx", "html")
PANDOC_FORMATS = ("epub", "docx")
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Measure:
    """One output of one post: words of the body kept, delimiters leaked."""

    kept: float  # percent of the body's word tokens present (multiset)
    missing: Counter[str]
    leaks: int  # delimiters outside code
    leaks_in_code: int
    leak_context: list[str] = field(default_factory=list)


@dataclass
class Tool:
    """What one tool did with the site."""

    name: str
    seconds: float = 0.0
    outputs: dict[str, dict[str, Path]] = field(default_factory=dict)  # post -> format -> file
    notes: Counter[str] = field(default_factory=Counter)  # warnings and failures by kind
    epubcheck: dict[str, list[str]] = field(default_factory=dict)  # post -> messages (errors, warnings)
    measures: dict[str, dict[str, Measure]] = field(default_factory=dict)  # format -> post -> measure


def parallel(fn: Callable[[T], R], items: Iterable[T], jobs: int) -> list[R]:
    with ThreadPoolExecutor(jobs) as pool:
        return list(pool.map(fn, items))


def site_config(user: Path | None, root: Path, folder: Path) -> Path:
    """A storyexport.toml: the user's, with ``[build] source`` set to the
    site's root so that ``_config.yml`` and links between posts resolve."""
    text = user.read_text(encoding="utf-8") if user else ""
    line = f"source = {json.dumps(str(root))}\n"
    if re.search(r"^\[build\]\s*$", text, re.M):
        text = re.sub(r"^\[build\]\s*$\n?", lambda m: m[0].rstrip("\n") + "\n" + line, text, count=1, flags=re.M)
    else:
        text += f"\n[build]\n{line}"
    path = folder / "storyexport.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run_storyexport(source: Path, root: Path, config: Path, out: Path, rels: dict[Path, str], jobs: int) -> Tool:
    """One export of the whole folder, as a user runs it."""
    tool = Tool("storyexport")
    target = out / "storyexport"
    cmd = [EXE, "export", str(source), "-c", str(config), "-f", ",".join(FORMATS), "-o", str(target),
           "--force", "-j", str(jobs)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=config.parent, env=ENV, capture_output=True, text=True)
    tool.seconds = time.perf_counter() - t
    (out / "storyexport.log").write_text(proc.stderr, encoding="utf-8")
    for line in proc.stderr.splitlines():
        diag = re.match(r"^\S+?(?::\d+)?: (warning: )?(.*)$", line)
        if diag and not line.startswith("storyexport:"):
            kind = ("warning: " if diag[1] else "error: ") + re.sub(r"'[^']*'|\d[\d:T.+-]*", "…", diag[2])
            tool.notes[kind[:90]] += 1
    tool.notes[f"exit status {proc.returncode}"] += 1
    manifest = json.loads((out / ".storyexport" / "storyexport" / "manifest.json").read_text(encoding="utf-8"))
    by_rel = {rel: post for post, rel in rels.items()}
    for rel, entry in manifest["sources"].items():
        if rel in by_rel:
            tool.outputs[rel] = {f: target / o["path"] for f, o in entry.get("outputs", {}).items()}
    return tool


def run_pandoc(rels: dict[Path, str], out: Path, jobs: int) -> Tool:
    """``pandoc post.md -o x.epub`` and ``-o x.docx``, post by post, run in
    the post's folder so a bundle's images resolve."""
    tool = Tool("pandoc")
    target = out / "pandoc"
    target.mkdir(parents=True, exist_ok=True)

    def convert(item: tuple[Path, str, str]) -> tuple[str, str, Path, subprocess.CompletedProcess[str]]:
        post, rel, fmt = item
        dest = target / f"{rel.replace('/', '__')}.{fmt}"
        proc = subprocess.run(["pandoc", post.name, "-o", str(dest)], cwd=post.parent, env=PANDOC_ENV,
                              capture_output=True, text=True, timeout=300)
        return rel, fmt, dest, proc

    t = time.perf_counter()
    done = parallel(convert, [(p, r, f) for p, r in rels.items() for f in PANDOC_FORMATS], jobs)
    tool.seconds = time.perf_counter() - t
    for rel, fmt, dest, proc in done:
        for line in proc.stderr.splitlines():
            if line.startswith("["):
                tool.notes[re.sub(r"https?://\S+|\S+\.(png|jpe?g|gif|svg)\b|'[^']*'", "…", line)[:90]] += 1
        if proc.returncode:
            tool.notes[f"{fmt}: exit status {proc.returncode}"] += 1
        elif dest.is_file():
            tool.outputs.setdefault(rel, {})[fmt] = dest
    return tool


def epubcheck(tools: Sequence[Tool]) -> None:
    """EPUBCheck on every book of every tool, in one JVM."""
    books = {f.resolve(): (tool, rel) for tool in tools for rel, fs in tool.outputs.items()
             for fmt, f in fs.items() if fmt == "epub"}
    for path, result in check_epubs(list(books)).items():
        tool, rel = books[path]
        tool.epubcheck[rel] = [str(m) for m in result.messages if m.severity in ("FATAL", "ERROR", "WARNING")]


def measure(tool: Tool, reference: dict[str, Counter[str]], syntax: str, jobs: int) -> None:
    """Words kept and delimiters leaked, per output format and post; a post
    with no output keeps nothing."""
    formats = FORMATS if tool.name == "storyexport" else PANDOC_FORMATS

    def one(item: tuple[str, str]) -> tuple[str, str, Measure]:
        fmt, rel = item
        ref = reference[rel]
        path = tool.outputs.get(rel, {}).get(fmt)
        if path is None:
            return fmt, rel, Measure(0.0, ref, 0, 0)
        text = output_text(path)
        got = words(text.everything)
        missing = ref - got
        total = sum(ref.values())
        kept = 100.0 * (total - sum(missing.values())) / total if total else 100.0
        leaks, in_code = text.leaks(syntax)
        contexts = [text.outside_code[max(0, m.start() - 40):m.end() + 40].replace("\0", "¦").replace("\n", "⏎")
                    for m in re.finditer("|".join(map(re.escape, DELIMITERS[syntax])), text.outside_code)]
        return fmt, rel, Measure(kept, missing, leaks, in_code, contexts[:20])

    for fmt, rel, m in parallel(one, [(f, r) for f in formats for r in reference], jobs):
        tool.measures.setdefault(fmt, {})[rel] = m


def summary_rows(tools: Sequence[Tool], posts: int) -> list[tuple[str, ...]]:
    """The table's rows: one line per figure, one column per tool."""
    def per_tool(fn: Callable[[Tool], str]) -> tuple[str, ...]:
        return tuple(fn(t) for t in tools)

    def kept(t: Tool, fmt: str) -> str:
        ms = t.measures.get(fmt)
        if not ms:
            return "—"
        values = [m.kept for m in ms.values()]
        at100 = sum(v >= 100.0 for v in values)
        return f"min {min(values):.1f}%, median {statistics.median(values):.1f}%, {at100}/{len(values)} at 100%"

    def leaked(t: Tool, fmt: str) -> str:
        ms = t.measures.get(fmt)
        if not ms:
            return "—"
        total = sum(m.leaks for m in ms.values())
        hit = sum(1 for m in ms.values() if m.leaks)
        code = sum(m.leaks_in_code for m in ms.values())
        return f"{total} in {hit} posts (in code: {code})"

    def clean(t: Tool) -> str:
        n = sum(1 for msgs in t.epubcheck.values() if not msgs)
        errs = sum(1 for msgs in t.epubcheck.values() if any(not m.startswith("WARNING") for m in msgs))
        return f"{n}/{posts} (books with errors: {errs})"

    def exported(t: Tool) -> str:
        want = FORMATS if t.name == "storyexport" else PANDOC_FORMATS
        n = sum(1 for fs in t.outputs.values() if all(f in fs for f in want))
        return f"{n}/{posts} ({' + '.join(want)})"

    rows = [("", *(t.name for t in tools)),
            ("posts found (storyexport's scan)", *per_tool(lambda t: str(posts))),
            ("posts exported", *per_tool(exported)),
            ("EPUBCheck-clean books (no error, no warning)", *per_tool(clean))]
    for fmt in FORMATS:
        rows.append((f"body words kept, {fmt.upper()}", *per_tool(lambda t, f=fmt: kept(t, f))))  # type: ignore[misc]
    for fmt in FORMATS:
        rows.append((f"delimiters leaked outside code, {fmt.upper()}",
                     *per_tool(lambda t, f=fmt: leaked(t, f))))  # type: ignore[misc]
    rows.append(("wall time", *per_tool(lambda t: f"{t.seconds:.1f} s")))
    return rows


def markdown_table(rows: Sequence[tuple[str, ...]]) -> str:
    head, *body = rows
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def worst(tool: Tool, fmt: str, n: int = 5) -> list[str]:
    """The ``n`` posts keeping the fewest words, with what they miss."""
    ms = sorted(tool.measures.get(fmt, {}).items(), key=lambda kv: (kv[1].kept, kv[0]))[:n]
    out = []
    for rel, m in ms:
        if m.kept >= 100.0:
            break
        miss = ", ".join(f"{w}×{c}" if c > 1 else w for w, c in m.missing.most_common(10))
        out.append(f"- {rel}: {m.kept:.1f}% (missing {sum(m.missing.values())}: {miss})")
    return out


def details(tools: Sequence[Tool]) -> dict[str, Any]:
    """Everything per post, for the JSON file beside the outputs."""
    return {t.name: {"seconds": t.seconds, "notes": dict(t.notes), "epubcheck": t.epubcheck,
                     "measures": {fmt: {rel: {"kept": m.kept, "missing": dict(m.missing), "leaks": m.leaks,
                                              "leaks_in_code": m.leaks_in_code, "leak_context": m.leak_context}
                                        for rel, m in ms.items()} for fmt, ms in t.measures.items()}}
            for t in tools}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", type=Path, help="the fetched content folder (Hugo content/..., Jekyll _posts)")
    ap.add_argument("--config", type=Path, help="a storyexport.toml to export with")
    ap.add_argument("--out", type=Path, help="folder for outputs and details (default: a new temporary one)")
    ap.add_argument("--root", type=Path, help="the site's root (default: SOURCE, or a _posts folder's parent "
                                              "holding _config.yml)")
    ap.add_argument("--syntax", choices=("hugo", "jekyll"), help="template syntax (default: from the layout)")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    source = args.source.resolve()
    root = (args.root or (source.parent if source.name == "_posts" and (source.parent / "_config.yml").is_file()
                          else source)).resolve()
    syntax = args.syntax or ("jekyll" if "_posts" in source.parts or (root / "_config.yml").is_file() else "hugo")
    out = (args.out or Path(tempfile.mkdtemp(prefix="sites-"))).resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "config").mkdir(exist_ok=True)

    scan = layout.scan([source], is_source)
    rels = {p: p.relative_to(root).as_posix() for p in scan.sources}
    passed = ", ".join(f"{n} {k}" for k, n in sorted(scan.passed_over.items())) or "nothing"
    print(f"{source} ({syntax}): {len(rels)} posts found by storyexport's scan, passed over {passed}", flush=True)

    t = time.perf_counter()
    reference = dict(zip(rels.values(), parallel(lambda p: words(source_plain_text(p, syntax)), rels, args.jobs),
                         strict=True))
    print(f"reference words read in {time.perf_counter() - t:.1f} s: "
          f"{sum(sum(c.values()) for c in reference.values())} tokens", flush=True)
    tools = [run_storyexport(source, root, site_config(args.config, root, out / "config"), out, rels, args.jobs),
             run_pandoc(rels, out, args.jobs)]
    for tool in tools:
        print(f"{tool.name}: {tool.seconds:.1f} s", flush=True)
    t = time.perf_counter()
    epubcheck(tools)
    print(f"EPUBCheck: {time.perf_counter() - t:.1f} s", flush=True)
    for tool in tools:
        measure(tool, reference, syntax, args.jobs)
    (out / "details.json").write_text(json.dumps(details(tools), indent=1, ensure_ascii=False), encoding="utf-8")

    print(f"\nposts found: {len(rels)} (passed over: {passed}); delimiters counted: "
          f"{', '.join(DELIMITERS[syntax])}\n")
    print(markdown_table(summary_rows(tools, len(rels))))
    for tool in tools:
        for fmt in FORMATS if tool.name == "storyexport" else PANDOC_FORMATS:
            lines = worst(tool, fmt) or ["- every word of every body kept"]
            print(f"\n{tool.name} {fmt.upper()}, worst posts:", *lines, sep="\n")
        msgs = Counter(m.split(" ", 2)[0] + " " + m.split(" ", 2)[1] for ms in tool.epubcheck.values() for m in ms)
        print(f"\n{tool.name} EPUBCheck messages by id: {dict(msgs.most_common(8)) or 'none'}")
        print(f"{tool.name} notes: {dict(tool.notes.most_common(12))}")
    print(f"\ndetails: {out / 'details.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
