"""Exports on Dask (a real LocalCluster, a real `dask scheduler` with `dask
worker` processes) and to fsspec storage (file:// and S3 through s3fs against
moto's standalone server on 127.0.0.1, a stand-in object store so that the
real S3 client code runs). Each compares bytes with the embedded process
pool's export of the same sources."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import EPOCH, ROOT, SOURCE, run_cli

sys.path.insert(0, str(ROOT / "bench"))
import corpus  # the benchmarks' synthetic stories

FORMATS = "html,pdf,docx,epub,rss,atom,jsonfeed,site"


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def project(tmp: Path, sources: Path, state: str = "") -> Path:
    """A project folder: the sources and a config whose state stays in it
    (or in ``state``, a URL)."""
    tmp.mkdir(parents=True, exist_ok=True)
    shutil.copytree(sources, tmp / "src")
    (tmp / "storyexport.toml").write_text(
        '[site]\ntitle = "Cluster"\nbase_url = "https://news.example.org/"\nfeed_limit = 4\n'
        f'[build]\nsource = "src"\nstate = "{state or tmp / "state"}"\n')
    return tmp


def export(proj: Path, out: str, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("--config", str(proj / "storyexport.toml"), "--format", FORMATS, "--out", out, "--jobs", "2",
                   *extra, cwd=proj, env=env)


def summary(r: subprocess.CompletedProcess[str]) -> str:
    return r.stderr.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """The samples through the local process pool: what every other run must equal."""
    proj = project(tmp_path_factory.mktemp("pool"), SOURCE)
    r = export(proj, str(proj / "dist"))
    assert r.returncode == 0, r.stderr
    return proj, files(proj / "dist")


def test_dask_local_cluster_gives_the_same_bytes_and_stays_incremental(
        reference: tuple[Path, dict[str, bytes]], tmp_path: Path) -> None:
    proj = project(tmp_path, SOURCE)
    r = export(proj, str(proj / "dist"), "--scheduler", "dask-local")
    assert r.returncode == 0, r.stderr
    got = files(proj / "dist")
    assert got.keys() == reference[1].keys()
    assert [k for k in got if got[k] != reference[1][k]] == []
    # a no-op stays a no-op, and one changed story re-renders that story only
    r = export(proj, str(proj / "dist"), "--scheduler", "dask-local")
    assert r.returncode == 0 and " wrote 0 file(s)" in summary(r), r.stderr
    story = proj / "src" / "council-budget.md"
    story.write_text(story.read_text() + "\nOne more sentence for the record.\n")
    r = export(proj, str(proj / "dist"), "--scheduler", "dask-local", "--verbose")
    assert r.returncode == 0, r.stderr
    rendered = {line.split("/")[-1] for line in r.stdout.splitlines()
                if line.startswith("wrote ") and line.endswith((".pdf", ".docx", ".epub"))}
    assert rendered == {"council-budget.pdf", "council-budget.docx", "council-budget.epub"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dask(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    exe = str(Path(sys.executable).with_name("dask"))
    return subprocess.Popen([exe, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, **(env or {})}, cwd=cwd, start_new_session=True)


def _stop(p: subprocess.Popen[bytes]) -> None:
    with __import__("contextlib").suppress(ProcessLookupError):
        os.killpg(p.pid, signal.SIGTERM)
    try:
        p.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def _wait_for_workers(address: str, n: int) -> None:
    from distributed import Client

    with Client(address, timeout="30s") as c:
        c.wait_for_workers(n, timeout=60)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`dask scheduler` and `dask worker` as separate processes on 127.0.0.1,
    as an operator starts them."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    cwd = tmp_path_factory.mktemp("dask")
    sched = _dask("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard", cwd=cwd)
    worker = _dask("worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard",
                   "--host", "127.0.0.1", "--local-directory", str(cwd), cwd=cwd)
    try:
        _wait_for_workers(address, 2)
        yield address
    finally:
        _stop(worker)
        _stop(sched)


def test_a_running_scheduler_gives_the_same_bytes(reference: tuple[Path, dict[str, bytes]], cluster: str,
                                                   tmp_path: Path) -> None:
    proj = project(tmp_path, SOURCE)
    r = export(proj, str(proj / "dist"), "--scheduler", cluster)
    assert r.returncode == 0, r.stderr
    got = files(proj / "dist")
    assert got.keys() == reference[1].keys() and all(got[k] == v for k, v in reference[1].items())


def test_a_worker_running_another_storyexport_is_refused(cluster: str, tmp_path: Path) -> None:
    preload = tmp_path / "other_version.py"
    preload.write_text("import storyexport\nstoryexport.__version__ = '0.0.1-other'\n")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    sched = _dask("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard", cwd=tmp_path)
    worker = _dask("worker", address, "--nworkers", "1", "--no-dashboard", "--host", "127.0.0.1",
                   "--preload", str(preload), "--local-directory", str(tmp_path), cwd=tmp_path)
    try:
        _wait_for_workers(address, 1)
        proj = project(tmp_path / "p", SOURCE)
        r = export(proj, str(proj / "dist"), "--scheduler", address)
    finally:
        _stop(worker)
        _stop(sched)
    assert r.returncode == 1
    assert re.search(r"Dask worker tcp://127\.0\.0\.1:\d+ runs storyexport version 0\.0\.1-other; "
                     r"this client runs \S+", r.stderr), r.stderr
    assert "Traceback" not in r.stderr
    assert not (proj / "dist").exists() or files(proj / "dist") == {}


def _worker_pids(parent: int) -> list[int]:
    """The Dask worker processes a LocalCluster's nannies started (children
    of the export's process, started through multiprocessing's spawn)."""
    out = subprocess.run(["ps", "-ww", "-o", "pid=,args=", "--ppid", str(parent)],
                         capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if "spawn_main" in line]


KILL_FORMATS = "html,docx,epub,rss,atom,jsonfeed"


@pytest.fixture(scope="module")
def forty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """40 synthetic stories and their export through the local pool."""
    tmp = tmp_path_factory.mktemp("forty")
    corpus.make(40, tmp / "corpus")
    ref = project(tmp / "ref", tmp / "corpus")
    r = run_cli("--config", str(ref / "storyexport.toml"), "--format", KILL_FORMATS, "--out", str(ref / "dist"),
                "--jobs", "2", cwd=ref)
    assert r.returncode == 0, r.stderr
    return tmp / "corpus", files(ref / "dist")


def _export_until(proj: Path, stop: Callable[[subprocess.Popen[str], list[int]], None]
                  ) -> tuple[subprocess.Popen[str], str, int]:
    """Start a dask-local export of ``proj``; once three stories have landed
    (mid-export), call ``stop`` with the process and its worker processes.
    Returns the process, its stderr and how many stories had landed then."""
    exe = str(Path(sys.executable).with_name("storyexport"))
    args = ["--config", str(proj / "storyexport.toml"), "--format", KILL_FORMATS,
            "--out", str(proj / "dist"), "--jobs", "2", "--scheduler", "dask-local"]
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    p = subprocess.Popen([exe, *args], cwd=proj, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    at_stop = -1
    deadline = time.monotonic() + 300
    while p.poll() is None and time.monotonic() < deadline:
        landed = list((proj / "dist").glob("*.docx")) if (proj / "dist").is_dir() else []
        pids = _worker_pids(p.pid)
        if len(landed) >= 3 and pids:
            stop(p, pids)
            at_stop = len(landed)
            break
        time.sleep(0.05)
    _, err = p.communicate(timeout=600)
    assert 0 <= at_stop < 40, "the export ended before it could be stopped midway: " + err[-800:]
    return p, err, at_stop


def test_a_killed_worker_loses_nothing(forty: tuple[Path, dict[str, bytes]], tmp_path: Path) -> None:
    proj = project(tmp_path, forty[0])
    p, err, _ = _export_until(proj, lambda p, pids: os.kill(pids[0], signal.SIGKILL))
    assert p.returncode == 0, err
    got = files(proj / "dist")
    assert got.keys() == forty[1].keys()  # nothing missing, and no staged temporary file left behind
    assert [k for k in got if got[k] != forty[1][k]] == []


def test_ctrl_c_cancels_and_leaves_no_partial_output(forty: tuple[Path, dict[str, bytes]], tmp_path: Path) -> None:
    proj = project(tmp_path, forty[0])
    # as a terminal's Ctrl-C: SIGINT to the whole process group, workers included
    p, err, _ = _export_until(proj, lambda p, pids: os.killpg(p.pid, signal.SIGINT))
    assert p.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    got = files(proj / "dist")
    assert got and set(got) < set(forty[1])  # stopped midway: some outputs, not all, and no temporary file
    assert [k for k in got if got[k] != forty[1][k]] == []  # each one whole
    left = b""
    for _ in range(100):  # the workers, then the resource tracker, go with the client: none stays behind
        left = subprocess.run(["pgrep", "-a", "-s", str(p.pid)], capture_output=True).stdout
        if not left:
            break
        time.sleep(0.2)
    assert not left
    r = run_cli("--config", str(proj / "storyexport.toml"), "--format", KILL_FORMATS, "--out", str(proj / "dist"),
                "--jobs", "2", cwd=proj)
    assert r.returncode == 0 and files(proj / "dist") == forty[1], r.stderr


def test_file_url_storage(reference: tuple[Path, dict[str, bytes]], tmp_path: Path) -> None:
    proj = project(tmp_path, SOURCE)
    r = export(proj, (tmp_path / "site").as_uri())
    assert r.returncode == 0, r.stderr
    assert files(tmp_path / "site") == reference[1]
    r = export(proj, (tmp_path / "site").as_uri())
    assert r.returncode == 0 and " wrote 0 file(s)" in summary(r), r.stderr


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """moto's standalone S3 server on 127.0.0.1, and the environment that
    points s3fs at it (fsspec's own configuration variables)."""
    port = _free_port()
    cwd = tmp_path_factory.mktemp("moto")
    server = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd, start_new_session=True)
    env = {"AWS_ACCESS_KEY_ID": "stand-in", "AWS_SECRET_ACCESS_KEY": "stand-in", "AWS_DEFAULT_REGION": "us-east-1",
           "FSSPEC_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    try:
        for _ in range(200):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield env
    finally:
        server.terminate()
        server.wait(20)


def _bucket(env: dict[str, str], bucket: str) -> object:
    import s3fs

    fs = s3fs.S3FileSystem(key=env["AWS_ACCESS_KEY_ID"], secret=env["AWS_SECRET_ACCESS_KEY"],
                           endpoint_url=env["FSSPEC_S3_ENDPOINT_URL"], skip_instance_cache=True)
    fs.mkdir(bucket)
    return fs


def test_s3_storage_through_s3fs(reference: tuple[Path, dict[str, bytes]], s3: dict[str, str],
                                 tmp_path: Path) -> None:
    fs: object = _bucket(s3, "newsroom")
    proj = project(tmp_path, SOURCE, state="s3://newsroom/state")  # the bookkeeping in the bucket too
    r = export(proj, "s3://newsroom/site", "--scheduler", "dask-local", env=s3)
    assert r.returncode == 0, r.stderr
    state = [k for k in fs.find("newsroom/state")]  # type: ignore[attr-defined]
    assert [k for k in state if k.endswith("/manifest.json")] and any("/cache/" in k for k in state)
    assert not (proj / "state").exists() or not list((proj / "state").rglob("manifest.json"))
    keys = sorted(k for k in fs.find("newsroom/site"))  # type: ignore[attr-defined]
    assert [k.removeprefix("newsroom/site/") for k in keys] == sorted(reference[1])  # no temporary key left
    assert all(fs.cat_file(f"newsroom/site/{rel}") == data  # type: ignore[attr-defined]
               for rel, data in reference[1].items())
    r = export(proj, "s3://newsroom/site", env=s3)
    assert r.returncode == 0 and " wrote 0 file(s)" in summary(r), r.stderr
    # a deleted story's objects are removed from the bucket
    (proj / "src" / "tokyo-rail.md").unlink()
    r = export(proj, "s3://newsroom/site", env=s3)
    assert r.returncode == 0, r.stderr
    left = {k.removeprefix("newsroom/site/") for k in fs.find("newsroom/site")}  # type: ignore[attr-defined]
    assert not {k for k in left if k.startswith("tokyo-rail.")}
    assert {"tokyo-rail.pdf", "tokyo-rail.epub"} <= set(reference[1])


def test_unknown_scheduler_and_unreachable_storage_are_one_line_errors(tmp_path: Path) -> None:
    proj = project(tmp_path, SOURCE)
    r = export(proj, str(proj / "dist"), "--scheduler", "yarn")
    assert r.returncode == 2 and "unknown scheduler 'yarn'" in r.stderr and "Traceback" not in r.stderr
    r = export(proj, "nosuchprotocol://bucket/x")
    assert r.returncode != 0 and "nosuchprotocol://bucket/x" in r.stderr and "Traceback" not in r.stderr


def test_large_exports_go_in_batches_and_come_back_in_job_order() -> None:
    import operator

    from storyexport.cluster import MAX_BATCH, batch_size, dask_results

    assert batch_size(40, 2) == 1 and batch_size(2000, 2) == MAX_BATCH and batch_size(1_000_000, 1000) == MAX_BATCH
    jobs = list(range(1000))
    assert batch_size(len(jobs), 2) > 1
    # builtins as the job and the set-up, so the workers need nothing of this module
    assert list(dask_results(None, 2, operator.neg, jobs, int, ())) == [-j for j in jobs]
