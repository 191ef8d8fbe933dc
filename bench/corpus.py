"""Deterministic synthetic corpus for benchmarks: N Markdown articles with a
realistic mix of nodes (headings, lists, quotes, a table, code, footnotes,
links, a figure) and one shared image."""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

WORDS = [
    "council", "budget", "harbour", "festival", "transport", "water", "schools", "housing", "election",
    "report", "minister", "residents", "market", "energy", "police", "hospital", "weather", "river", "bridge",
    "museum", "library", "court", "survey", "tenants", "funding", "plan", "vote", "debate", "climate", "rail",
    "station", "airport", "farmers", "workers", "union",
]
ROOT = Path(__file__).resolve().parents[1]


def sentence(rng: random.Random, n: int = 14) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(n - 4, n + 4))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    parts = [sentence(rng) for _ in range(rng.randint(3, 6))]
    i = rng.randrange(len(parts))
    parts[i] = parts[i][:-1] + f" (see [the report](https://example.org/r/{rng.randint(1, 999)}))."
    j = rng.randrange(len(parts))
    parts[j] = "**" + parts[j][:-1] + "**."
    return " ".join(parts)


def article(i: int) -> str:
    rng = random.Random(i)
    tags = ", ".join(sorted(set(rng.choice(WORDS) for _ in range(3))))
    out = [
        "---",
        f"title: {sentence(rng, 8)[:-1]}",
        f"subtitle: {sentence(rng, 12)}",
        f"author: Reporter {i % 17}",
        f"date: 20{10 + i % 15:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00+00:00",
        f"tags: [{tags}]",
        "summary:",
        *[f"  - {sentence(rng, 10)}" for _ in range(3)],
        "---",
        "",
    ]
    for section in range(3):
        out += [paragraph(rng), "", paragraph(rng) + "[^" + str(section + 1) + "]", ""]
        out += [f"## {sentence(rng, 5)[:-1]}", ""]
        if section == 0:
            out += [f"- {sentence(rng, 8)}" for _ in range(4)] + [""]
            out += [f"> {sentence(rng, 16)}", ">", f"> {sentence(rng, 10)}", ""]
        elif section == 1:
            out += ["| Item | Count | Share |", "|:--|--:|--:|"]
            out += [f"| {rng.choice(WORDS)} | {rng.randint(1, 999)} | {rng.randint(1, 99)}% |" for _ in range(6)]
            out += ["", "![A bar chart of the figures](chart.png \"The figures, by item\")", ""]
        else:
            out += ["1. " + sentence(rng, 8), "2. " + sentence(rng, 8), "", "```python",
                    "total = sum(row.count for row in rows)", "```", ""]
    for n in range(1, 4):
        out += [f"[^{n}]: {sentence(rng, 12)}", ""]
    return "\n".join(out)


def make(n: int, dest: Path) -> Path:
    """Write N articles into ``dest`` (replacing it) and return it."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "source" / "images" / "chart.png", dest / "chart.png")
    for i in range(n):
        (dest / f"story-{i:05d}.md").write_text(article(i), encoding="utf-8")
    return dest


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    print(make(n, Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/corpus")))
