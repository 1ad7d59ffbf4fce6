"""The real central API in a process of its own, for benchmarks of the display (as a command centre runs it).

    proc, url, token = start_api(data_dir)   # builds the demo county on first use; token has the display role
    ...
    stop_api(proc)

In the display's own process (embedded mode) the server's Python threads would share the GIL with
the GUI thread, and a benchmark of the wall would time the server too.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["start_api", "stop_api", "serve_main", "bench_app"]


def serve_main(data_dir: str, port: int, *, streams_fps: float | None = None, label: str = "bench",
               sub_size: tuple[int, int] | None = None) -> None:
    """Run the API on 127.0.0.1:`port` (blocks); prints `TOKEN <display token>` once the database is ready."""
    import uvicorn

    sys.path.insert(0, str(ROOT))
    from sandbox.server.runtime import new_token, prepare_database
    from sandbox.settings import Settings

    engine = prepare_database(Settings(data_dir=Path(data_dir)), progress=False)
    app = bench_app(engine, port, streams_fps=streams_fps, sub_size=sub_size)
    print("TOKEN " + new_token(engine, "display", label=label), flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def bench_app(engine, port: int, *, streams_fps: float | None = None, sub_size: tuple[int, int] | None = None):
    """The API app as the benchmarks serve it on 127.0.0.1:`port`: stream URLs absolute on that address (they
    are only with a public base URL, issue 11; relative ones are refused by the display's URL policy);
    `sub_size`: the demo sub-streams' size (default 640×360)."""
    sys.path.insert(0, str(ROOT))
    from sandbox.server.app import create_app
    from sandbox.server.deps import settings_of

    app = create_app(engine)
    app.state.settings = settings_of(app).model_copy(update={"public_base_url": f"http://127.0.0.1:{port}"})
    if streams_fps is not None or sub_size is not None:
        from sandbox.server.streams.hub import StreamHub, install_hub

        kw = {"sub_size": tuple(sub_size)} if sub_size is not None else {}
        install_hub(app, StreamHub(fps=streams_fps or 25.0, **kw))
    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_api(data_dir: str | Path, *, streams_fps: float | None = None, label: str = "bench",
              timeout: float = 180.0, sub_size: tuple[int, int] | None = None) -> tuple[subprocess.Popen, str, str]:
    """Start `serve_main` in a child process; return it, its base URL and a display token once healthy."""
    import requests

    port = _free_port()
    code = (f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); from api_process import serve_main; "
            f"serve_main({str(data_dir)!r}, {port}, streams_fps={streams_fps!r}, label={label!r}, sub_size={sub_size!r})")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT,
                            env=dict(os.environ))
    token = ""
    while not token:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("the API process ended before it was ready")
        if line.startswith("TOKEN "):
            token = line.split()[1]
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url + "/api/v1/health", timeout=2).status_code == 200:
                return proc, url, token
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            stop_api(proc)
            raise SystemExit(f"the API did not come up within {timeout:.0f} s")
        time.sleep(0.2)


def stop_api(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
