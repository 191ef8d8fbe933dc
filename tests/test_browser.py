"""The index and an article page in headless Chromium (Debian ``chromium``),
as a phone (375 px) and a desktop (1280 px) show them: nothing wider than
the screen. Chromium is driven through the DevTools protocol on a pipe (no
port, no network); the screenshots are kept in the test's folder."""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import have
from test_serve import ALL, start, stop

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class DevTools:
    """A minimal DevTools-protocol client over Chromium's pipe (fds 3 and 4)."""

    def __init__(self, profile: Path) -> None:
        assert CHROMIUM is not None
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            # Chromium reads commands on fd 3 and answers on fd 4: the pipe ends are moved there
            # before exec (and 3 and 4 kept open through it)
            pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=lambda: (os.dup2(to_chrome_r, 3), os.dup2(from_chrome_w, 4)))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._id:
                assert "error" not in reply, reply
                return reply["result"]  # type: ignore[no-any-return]
            self.events.append(reply)

    def wait_event(self, method: str) -> dict[str, Any]:
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read())

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buf:
            ready, _, _ = select.select([self._r], [], [], 120)
            assert ready, "chromium did not answer within 120 s"
            chunk = os.read(self._r, 1 << 16)
            assert chunk, "chromium closed the pipe"
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)
        os.close(self._w)
        os.close(self._r)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    tools = DevTools(tmp_path_factory.mktemp("chromium-profile"))
    yield tools
    tools.close()


def look(tools: DevTools, url: str, width: int, png: Path) -> tuple[int, int]:
    """Open ``url`` at ``width`` CSS pixels (a phone below 500: mobile, as
    its viewport meta asks), save a full-page screenshot, and return the
    page's scroll width and the viewport's width."""
    target = tools.send("Target.createTarget", url="about:blank")["targetId"]
    session = tools.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    tools.send("Page.enable", session)
    tools.send("Emulation.setDeviceMetricsOverride", session, width=width, height=900, deviceScaleFactor=1,
               mobile=width < 500)
    tools.send("Page.navigate", session, url=url)
    tools.wait_event("Page.loadEventFired")
    tools.send("Runtime.evaluate", session, expression="document.fonts.ready", awaitPromise=True)
    sizes = tools.send("Runtime.evaluate", session, returnByValue=True, expression=(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"))["result"]["value"]
    shot = tools.send("Page.captureScreenshot", session, format="png", captureBeyondViewport=True)
    png.write_bytes(base64.b64decode(shot["data"]))
    tools.send("Target.closeTarget", targetId=target)
    return sizes[0], sizes[1]


@pytest.mark.skipif(CHROMIUM is None or not have("chromium"), reason="chromium is not installed")
@pytest.mark.parametrize("width", [375, 1280])
def test_index_and_article_fit_phone_and_desktop(exported, browser: DevTools, width: int,  # type: ignore[no-untyped-def]
                                                 tmp_path: Path) -> None:
    out: Path = exported(ALL)
    proc, url = start([str(out), "--no-watch"], Path.cwd())
    try:
        for name, path in (("index", ""), ("article", "2024/newsroom-style-guide/"),
                           ("arabic", "arabic-water-report.html")):
            png = tmp_path / f"{name}-{width}.png"
            scroll, viewport = look(browser, url + path, width, png)
            assert viewport == width, (name, viewport)
            assert scroll <= viewport, f"{name} at {width}px is {scroll}px wide (see {png})"
            assert png.stat().st_size > 5000
            keep = os.environ.get("STORYEXPORT_SCREENSHOTS")
            if keep:
                shutil.copy(png, Path(keep) / png.name)
    finally:
        stop(proc)
