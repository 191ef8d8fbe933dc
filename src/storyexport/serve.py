"""``storyexport serve``: the output folder over HTTP, as a static host
would serve it, for feed readers and browsers on this machine.

Werkzeug does the HTTP (request parsing, conditional requests, ranges); this
module only decides what a path names and how it is described:

* only regular files inside the output folder, never a hidden one, never
  through a link that leaves it; a folder is its ``index.html`` (no listing);
* each output's media type as its writer declares it (from the build's
  manifest: ``application/rss+xml`` for ``feed.xml``...), else by extension;
* a strong ``ETag`` (hash of the bytes sent) and ``Last-Modified``, so
  conditional GETs get ``304``; ``Range`` requests (downloads); gzip for
  text when the client accepts it;
* binds 127.0.0.1 unless told otherwise.

While serving, the sources, the theme and the configuration are watched
(``watchfiles``); a change runs an incremental export, and pages open in a
browser reload after it: HTML is served with a small script that listens on
:data:`EVENTS` (server-sent events). The files in the output folder never
hold that script.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

EVENTS = "/.storyexport/events"  # a hidden path: no output can have it
RELOAD_SCRIPT = (f'<script>new EventSource("{EVENTS}").addEventListener("rebuilt",'
                 '()=>location.reload());</script>').encode()
COMPRESSIBLE = ("text/", "application/xml", "application/rss+xml", "application/atom+xml", "application/json",
                "application/feed+json", "image/svg+xml", "font/ttf", "font/otf")


@dataclass
class Reloads:
    """Rebuild generations, for pages waiting to reload."""

    generation: int = 0
    stopped: bool = False
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def bump(self) -> None:
        with self._cond:
            self.generation += 1
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self.stopped = True
            self._cond.notify_all()

    def _changed(self, seen: int) -> bool:
        return self.generation != seen or self.stopped

    def events(self, keepalive: float = 15.0) -> Iterator[bytes]:
        """A server-sent event per rebuild (and a comment now and then, so a
        closed page frees its thread)."""
        seen = self.generation
        yield b": storyexport\n\n"
        while not self.stopped:
            with self._cond:
                self._cond.wait_for(partial(self._changed, seen), timeout=keepalive)
            if self.generation != seen:
                seen = self.generation
                yield b"event: rebuilt\ndata: " + str(seen).encode() + b"\n\n"
            else:
                yield b": keepalive\n\n"


class SiteApp:
    """The WSGI application serving one output folder."""

    def __init__(self, root: Path, types: Callable[[], dict[str, str]], reloads: Reloads | None = None) -> None:
        self.root = root.resolve()
        self.types = types
        self.reloads = reloads

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        return self.respond(request)(environ, start_response)

    def respond(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response("method not allowed\n", 405, {"Allow": "GET, HEAD"}, mimetype="text/plain")
        if request.path == EVENTS and self.reloads is not None:
            return Response(self.reloads.events(), mimetype="text/event-stream",
                            headers={"Cache-Control": "no-cache"}, direct_passthrough=True)
        rel = self.file_for(request.path)
        if rel is None:
            return Response("not found\n", 404, mimetype="text/plain")
        if rel.endswith("/"):  # a folder asked for without its slash: where its relative links work
            query = f"?{request.query_string.decode('latin-1')}" if request.query_string else ""
            return Response("", 301, {"Location": request.script_root + request.path + "/" + query})
        return self.file_response(request, rel)

    def file_for(self, path: str) -> str | None:
        """The output a URL path names (relative to the folder), a folder
        name ending in ``/`` when the slash is missing, or None: nothing
        outside the folder, hidden, through a link out, or not a file."""
        parts = [p for p in path.split("/") if p]
        if any(p.startswith(".") or "\0" in p or "\\" in p for p in parts):
            return None
        candidate = self.root.joinpath(*parts)
        try:
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not real.is_relative_to(self.root):
            return None
        if real.is_dir():
            if parts and not path.endswith("/"):
                return "/".join(parts) + "/" if (real / "index.html").is_file() else None
            parts.append("index.html")
            real = real / "index.html"
        try:
            if not stat.S_ISREG(real.lstat().st_mode) or not real.resolve().is_relative_to(self.root):
                return None
        except OSError:
            return None
        return "/".join(parts)

    def file_response(self, request: Request, rel: str) -> Response:
        path = self.root / rel
        try:
            data = path.read_bytes()
            mtime = path.stat().st_mtime
        except OSError:
            return Response("not found\n", 404, mimetype="text/plain")
        ctype = self.types().get(rel) or mimetypes.guess_type(rel)[0] or "application/octet-stream"
        if ctype == "text/html" and self.reloads is not None and b"</body>" in data:
            data = data.replace(b"</body>", RELOAD_SCRIPT + b"</body>", 1)
        compressed = ctype.startswith(COMPRESSIBLE) and request.accept_encodings["gzip"] > 0
        if compressed:
            data = gzip.compress(data, compresslevel=6, mtime=0)
        charset = "; charset=utf-8" if ctype.startswith("text/") or ctype.endswith(("xml", "json")) else ""
        response = Response(data, content_type=ctype + charset)
        if compressed:
            response.content_encoding = "gzip"
        if ctype.startswith(COMPRESSIBLE):
            response.vary.add("Accept-Encoding")
        response.set_etag(hashlib.sha256(data).hexdigest()[:32])
        response.last_modified = datetime.fromtimestamp(int(mtime), UTC)
        response.cache_control.no_cache = True  # revalidate: a rebuild may change it any time
        try:
            return response.make_conditional(request, accept_ranges=True, complete_length=len(data))
        except HTTPException as e:  # a range past the end: 416, with the length
            return e.get_response(request.environ)


def watch_and_rebuild(paths: list[Path], rebuild: Callable[[], None], reloads: Reloads,
                      stop: threading.Event) -> None:
    """Run ``rebuild`` after each batch of changes under ``paths`` until
    ``stop`` is set; pages reload after it."""
    from watchfiles import watch

    for _changes in watch(*paths, stop_event=stop, debounce=300, step=50, raise_interrupt=False):
        try:
            rebuild()
        finally:
            reloads.bump()


def serve(root: Path, host: str, port: int, types: Callable[[], dict[str, str]],
          watched: list[Path] | None = None, rebuild: Callable[[], None] | None = None,
          quiet: bool = False) -> int:
    """Serve ``root`` until interrupted; with ``watched`` and ``rebuild``,
    rebuild on changes and reload open pages."""
    reloads = Reloads() if rebuild is not None else None
    server = make_server(host, port, SiteApp(root, types, reloads), threaded=True)
    stop = threading.Event()
    if rebuild is not None and reloads is not None and watched:
        threading.Thread(target=watch_and_rebuild, args=(watched, rebuild, reloads, stop), daemon=True).start()
    shown = f"[{host}]" if ":" in host else host
    print(f"storyexport: serving {root} at http://{shown}:{server.server_port}/ (Ctrl-C to stop)", flush=True)
    if quiet:
        import logging

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("storyexport: stopped", file=sys.stderr)
    finally:
        stop.set()
        if reloads is not None:
            reloads.stop()
        server.server_close()
    return 0
