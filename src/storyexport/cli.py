"""The ``storyexport`` command line.

``storyexport`` with no arguments exports every source under ``source/`` to
every installed format into ``dist/``. Content problems print as
``path:line: message`` and exit 1; bad usage exits 2; only a bug in
storyexport shows a traceback. Heavy writer libraries (WeasyPrint...) are
imported only when a writer actually renders, so ``--help`` and ``formats``
stay fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .config import PDF_VARIANTS, Site, load_config
from .errors import Diagnostics, StoryExportError, UsageError

if TYPE_CHECKING:
    from .build import BuildResult, Export
    from .readers.layout import Scan
    from .theme import Theme

COMMANDS = ("export", "formats", "dump", "check", "proof", "import", "serve", "edition")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="storyexport",
        description="Export news stories (Markdown or plain text) to PDF, DOCX, EPUB, HTML and feeds.",
        epilog="Commands: export (default), formats, dump FILE, check [DIR], proof ARTICLE, "
               "import KIND INPUT --out DIR, serve [DIR], edition --title T [--from D --to D ...]. "
               "Run 'storyexport COMMAND --help' for details.",
    )
    p.add_argument("--version", action="version", version=f"storyexport {__version__}")
    sub = p.add_subparsers(dest="command")

    e = sub.add_parser("export", help="export sources to formats (the default command)")
    e.add_argument("paths", nargs="*", type=Path, help="source files or folders (default: the configured source/)")
    e.add_argument("-f", "--format", action="append", default=[], metavar="NAME",
                   help="format to produce; repeat or comma-separate (default: all installed)")
    e.add_argument("-o", "--out", help="output folder, or an fsspec URL such as s3://bucket/prefix (default: dist)")
    e.add_argument("-j", "--jobs", type=int, default=0,
                   help="parallel processes, or Dask workers for dask-local (default: number of CPUs)")
    e.add_argument("--scheduler", metavar="NAME",
                   help="who runs the jobs: local (a process pool, the default), dask-local (a Dask LocalCluster) "
                        "or the address of a running Dask scheduler (tcp://host:8786)")
    e.add_argument("--force", action="store_true", help="rebuild everything, ignoring the manifest")
    e.add_argument("--pdf-variant", choices=[v for v in PDF_VARIANTS if v], help="PDF/A or PDF/UA variant")
    _common(e)

    f = sub.add_parser("formats", help="list installed writers")
    _common(f)

    d = sub.add_parser("dump", help="print an article's model as JSON (for debugging readers)")
    d.add_argument("file", type=Path)
    _common(d)

    c = sub.add_parser("check", help="validate exported files with real validators")
    c.add_argument("dir", nargs="?", type=Path, help="output folder to check (default: dist)")
    _common(c)

    sv = sub.add_parser("serve", help="serve the output folder over HTTP, rebuilding when sources change")
    sv.add_argument("dir", nargs="?", type=Path, help="output folder to serve (default: dist)")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    sv.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    sv.add_argument("--no-watch", action="store_true", help="serve the folder as it is: no export, no rebuilds")
    sv.add_argument("-f", "--format", action="append", default=[], metavar="NAME",
                    help="formats to rebuild (default: as export)")
    sv.add_argument("-j", "--jobs", type=int, default=0, help="parallel processes for rebuilds")
    _common(sv)

    pr = sub.add_parser("proof", help="write a PNG contact sheet of an article in PDF, DOCX and EPUB")
    pr.add_argument("article", type=Path)
    pr.add_argument("-o", "--output", type=Path, help="PNG to write (default: dist/proof-SLUG.png)")
    _common(pr)

    from .importers import KINDS

    im = sub.add_parser("import", help="turn a CMS export into Markdown sources")
    im.add_argument("kind", choices=KINDS)
    im.add_argument("input", type=Path, help="the export file (ninjs: a .json file or a folder of them)")
    im.add_argument("-o", "--out", type=Path, required=True, help="folder for the Markdown sources")
    im.add_argument("--uploads", type=Path, help="WordPress: the site's wp-content/uploads folder, to copy media")
    _common(im)

    ed = sub.add_parser("edition", help="make one edition (EPUB, PDF, DOCX) of many stories")
    ed.add_argument("paths", nargs="*", type=Path, help="source files or folders (default: the configured source/)")
    ed.add_argument("--title", required=True)
    ed.add_argument("--slug", help="file name (default: from the title)")
    ed.add_argument("--from", dest="from_", metavar="DATE", help="first day (YYYY-MM-DD)")
    ed.add_argument("--to", metavar="DATE", help="last day (YYYY-MM-DD)")
    ed.add_argument("--last-days", type=int, metavar="N", help="the N days up to the newest story")
    ed.add_argument("--tag", action="append", default=[], help="stories with this tag (repeat for any of several)")
    ed.add_argument("--story", action="append", default=[], metavar="SLUG", help="this story (repeat)")
    ed.add_argument("--section", action="append", default=[], metavar="NAME", help="section order (repeat)")
    ed.add_argument("--continuous", action="store_true", help="PDF: stories run on instead of starting pages")
    ed.add_argument("-f", "--format", action="append", default=[], metavar="NAME",
                    help="epub, pdf or docx; repeat or comma-separate (default: all three)")
    ed.add_argument("-o", "--out", type=Path, help="folder for the files (default: dist/editions)")
    _common(ed)
    return p


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-c", "--config", type=Path, help="storyexport.toml (default: ./storyexport.toml if present)")
    p.add_argument("-t", "--theme", help="theme name or path (default: from config, else 'default')")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    g = p.add_mutually_exclusive_group()
    g.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    g.add_argument("-v", "--verbose", action="store_true", help="print every file written and skipped")


def _diagnostics(site: Site, quiet: bool = False) -> Diagnostics:
    """Warnings as a command shows them: on stderr (unless ``--quiet``),
    without the categories the site silences."""
    return Diagnostics(stream=None if quiet else sys.stderr, suppress=site.suppress_warnings)


def _site(args: argparse.Namespace) -> Site:
    cfg = args.config
    if cfg is None and Path("storyexport.toml").is_file():
        cfg = Path("storyexport.toml")
    site = load_config(cfg)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        if not epoch.isdigit():
            raise UsageError(f"SOURCE_DATE_EPOCH must be an integer, got {epoch!r}")
        site = replace(site, source_date_epoch=int(epoch))
    if getattr(args, "pdf_variant", None):
        site = replace(site, pdf_variant=args.pdf_variant)
    return site


def _theme(args: argparse.Namespace, site: Site) -> Theme:
    """The theme named on the command line or in the config: a path, a
    folder in the site's ``styles/``, or an installed theme."""
    from .theme import PROJECT_THEMES, load_theme

    return load_theme(args.theme or site.theme, search=(PROJECT_THEMES,))


def _formats(requested: list[str], site: Site) -> tuple[str, ...]:
    from .writers import available

    known = available()
    names = [n.strip() for item in requested for n in item.split(",") if n.strip()] or list(site.formats)
    if not names:
        return tuple(known)
    for n in names:
        if n not in known:
            raise UsageError(f"unknown format {n!r} (known: {', '.join(known)})")
    return tuple(dict.fromkeys(names))


class Progress:
    """A one-line progress bar on a terminal, nothing otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()

    def __call__(self, done: int, total: int, name: str) -> None:
        if not self.enabled:
            return
        width = 28
        fill = int(width * done / total)
        sys.stderr.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {done}/{total} {name[:40]:<40}")
        if done == total:
            sys.stderr.write("\r" + " " * (width + 50) + "\r")
        sys.stderr.flush()


def _sources(args: argparse.Namespace, site: Site) -> tuple[Path, list[Path]]:
    """The source tree and the files or folders named on the command line
    (default: the configured source folder)."""
    root = Path(site.source)
    paths = getattr(args, "paths", None) or [root]
    for p in paths:
        if not p.exists():
            raise UsageError(f"no such file or folder: {p}")
    if getattr(args, "paths", None) and not all(p.resolve().is_relative_to(root.resolve()) for p in paths):
        # sources given outside the configured tree: their own folder is the tree
        root = Path(os.path.commonpath([str(p.resolve() if p.is_dir() else p.resolve().parent)
                                        for p in paths]))
    return root, paths


def _export(args: argparse.Namespace, site: Site, out: Path | str | None, quiet: bool
             ) -> tuple[Export, Callable[[], Scan], list[Path]]:
    """The export the arguments ask for, a function listing its sources
    as they are now, and the folders and files they come from."""
    from .build import Export
    from .readers import is_source, layout
    from .scheduling import check_scheduler
    from .storage import is_url

    theme = _theme(args, site)
    root, paths = _sources(args, site)
    out = out or site.out
    out = out if is_url(out) else Path(out)
    scheduler = getattr(args, "scheduler", None) or site.scheduler
    if why := check_scheduler(scheduler):
        raise UsageError(f"--scheduler: {why}")
    for p in paths:
        if isinstance(out, Path) and p.is_dir() and out.resolve().is_relative_to(p.resolve()):
            # the outputs would be written, and stale ones deleted, among the sources
            raise UsageError(f"output folder {out} is inside the source folder {p}")
    diags = _diagnostics(site, quiet)
    export = Export(root=root, out=out, theme=theme, site=site, writer_names=_formats(args.format, site),
                    diagnostics=diags, jobs=args.jobs or os.cpu_count() or 1, force=getattr(args, "force", False),
                    strict=args.strict, progress=Progress(not quiet), scheduler=scheduler)
    return export, lambda: layout.scan(paths, is_source), paths


def _report(res: BuildResult, export: Export, verbose: bool, quiet: bool,
            passed_over: Mapping[str, int] | None = None) -> None:
    shown = export.storage.display
    if verbose:
        for rel in res.written:
            print(f"wrote {shown(rel)}")
        for rel in res.skipped:
            print(f"unchanged {rel}")
        for rel in res.removed:
            print(f"removed {shown(rel)}")
    if not quiet:
        print(f"storyexport: {res.articles} article(s); wrote {len(res.written)} file(s), "
              f"{len(res.skipped)} unchanged, {len(res.removed)} removed, {len(res.errors)} error(s), "
              f"{len(export.diagnostics.warnings)} warning(s){_passed_over(passed_over or {})} -> {shown()}",
              file=sys.stderr)


def cmd_export(args: argparse.Namespace) -> int:
    site = _site(args)
    from .build import run

    export, scan_sources, paths = _export(args, site, args.out, args.quiet)
    scan = scan_sources()
    if not scan.sources:
        raise UsageError(f"no sources found in {', '.join(map(str, paths))}")
    res = run(export, scan.sources)
    _report(res, export, args.verbose, args.quiet, scan.passed_over)
    if res.errors:
        return 1
    if args.strict and export.diagnostics.warnings:
        print("storyexport: --strict: warnings count as errors", file=sys.stderr)
        return 1
    return 0


def _passed_over(counts: Mapping[str, int]) -> str:
    """``, passed over 2 section pages, 1 draft`` for the summary line."""
    parts = [f"{n} {kind}{'' if n == 1 else 's'}" for kind, n in sorted(counts.items()) if n]
    return f", passed over {', '.join(parts)}" if parts else ""


def cmd_serve(args: argparse.Namespace) -> int:
    from .build import Export, media_types, run
    from .serve import serve

    site = _site(args)
    out = args.dir or Path(site.out)
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port: not a port number: {args.port}")
    if args.no_watch:
        if not out.is_dir():
            raise UsageError(f"no such folder: {out}")
        types = media_types(Export(root=Path(site.source), out=out, theme=_theme(args, site), site=site,
                                   writer_names=(), diagnostics=Diagnostics()))
        return serve(out, args.host, args.port, lambda: types, quiet=args.quiet)
    export, _, paths = _export(args, site, out, args.quiet)
    known: dict[str, dict[str, str]] = {"types": {}}

    def rebuild() -> None:
        """An incremental export with the configuration and theme as they
        are now; a problem is reported and the server keeps serving."""
        try:
            export, scan_sources, _ = _export(args, _site(args), out, args.quiet)
            scan = scan_sources()
            if scan.sources:
                _report(run(export, scan.sources), export, args.verbose, args.quiet, scan.passed_over)
            known["types"] = media_types(export)
        except StoryExportError as e:
            print(f"storyexport: {e.message}" if not e.path else str(e), file=sys.stderr)

    rebuild()
    watched = [*paths, *export.theme.dirs]
    if args.config or Path("storyexport.toml").is_file():
        watched.append(args.config or Path("storyexport.toml"))
    return serve(out, args.host, args.port, lambda: known["types"], watched, rebuild, quiet=args.quiet)


def cmd_formats(args: argparse.Namespace) -> int:
    from .writers import available

    for name, ep in available().items():
        print(f"{name:10} {ep.value}")  # type: ignore[attr-defined]
    return 0


def cmd_dump(args: argparse.Namespace) -> int:
    from .model import dump_json
    from .readers import read_source

    site = _site(args)
    diags = _diagnostics(site)
    path: Path = args.file
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    root = Path(site.source)
    if not path.resolve().is_relative_to(root.resolve()):
        root = path.parent
    article = read_source(path, root, site, diags)
    if article is None:
        return 0
    print(dump_json(article))
    return 1 if args.strict and diags.warnings else 0


def cmd_check(args: argparse.Namespace) -> int:
    from .check import run_checks

    site = _site(args)
    return run_checks(args.dir or Path(site.out), site)


def cmd_proof(args: argparse.Namespace) -> int:
    from .proof import make_proof

    site = _site(args)
    return make_proof(args.article, _theme(args, site), site, args.output)


def cmd_import(args: argparse.Namespace) -> int:
    from .importers import run_import, summary_line

    site = _site(args)
    diags = _diagnostics(site, args.quiet)
    result = run_import(args.kind, args.input, args.out, site, diags, args.uploads)
    if not args.quiet:
        print(summary_line(result, args.out, len(diags.warnings)), file=sys.stderr)
    if result.errors:
        return 1
    return 1 if args.strict and diags.warnings else 0


def cmd_edition(args: argparse.Namespace) -> int:
    from .editions.command import run, spec_from_options

    site = _site(args)
    formats = [n.strip() for item in args.format for n in item.split(",") if n.strip()]
    spec = spec_from_options({"title": args.title, "slug": args.slug, "from": args.from_, "to": args.to,
                              "last_days": args.last_days, "tags": args.tag, "stories": args.story,
                              "sections": args.section, "continuous": args.continuous,
                              "formats": formats}, site)
    root, paths = _sources(args, site)
    diags = _diagnostics(site, args.quiet)
    out = args.out or Path(site.out) / "editions"
    written = run(spec, paths, root, out, spec.formats, _theme(args, site), site, diags)
    for path in written if args.verbose else ():
        print(f"wrote {path}")
    if not args.quiet:
        print(f"storyexport: edition {spec.slug}: wrote {len(written)} file(s), {len(diags.errors)} error(s), "
              f"{len(diags.warnings)} warning(s) -> {out}", file=sys.stderr)
    return 1 if diags.errors or (args.strict and diags.warnings) else 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "export")
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # argparse already printed the usage error
        return int(e.code or 0)
    handlers = {"export": cmd_export, "formats": cmd_formats, "dump": cmd_dump, "check": cmd_check,
                "proof": cmd_proof, "import": cmd_import, "serve": cmd_serve, "edition": cmd_edition}
    try:
        return handlers[args.command](args)
    except StoryExportError as e:
        print(f"storyexport: {e.message}" if not e.path else str(e), file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("storyexport: interrupted; finished files are complete, nothing half-written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
