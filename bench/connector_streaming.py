"""Benchmark of the memory a large upload costs: one sparse video sent through the Matrix connector
(a raw body) and the Mastodon connector (a multipart part), handed over by path (streamed from
disk, as publishing hands large files to a connector that declares ``streams_files``) and, for
comparison, as bytes in memory (as publishing hands files to the other connectors).

    python bench/connector_streaming.py [--quick] [--megabytes 200]

Each measurement runs in a child process of its own against a local sink server (another child
process) that reads every body in 64 KiB pieces and throws it away, answering with JSON that both
networks' connectors accept. Reported per case: the growth of the child's peak resident memory
(``ru_maxrss`` less the resident memory just before the upload) in MiB, and the seconds the
upload took. ``--quick``: a 64 MB file (default 200 MB). The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchsetup import configure  # noqa: E402 - after the path setup

MB = 1024 * 1024
HUGE = 10**12
ANSWER = json.dumps(
    {
        # Matrix: the media config, the upload and the send.
        "m.upload.size": HUGE,
        "content_uri": "mxc://localhost/bench",
        "event_id": "$bench",
        # Mastodon: the instance, the media attachment and the status.
        "id": "1",
        "type": "video",
        "url": "http://127.0.0.1/@bench/1",
        "created_at": "2026-11-30T12:00:00.000Z",
        "configuration": {
            "statuses": {"max_characters": 500, "max_media_attachments": 4, "characters_reserved_per_url": 23},
            "media_attachments": {
                "supported_mime_types": ["video/mp4"],
                "image_size_limit": HUGE,
                "video_size_limit": HUGE,
            },
        },
    }
).encode()


class _Sink(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self) -> None:
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining:
            piece = self.rfile.read(min(remaining, 64 * 1024))
            if not piece:
                break
            remaining -= len(piece)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)

    do_GET = do_POST = do_PUT = _serve  # noqa: N815 - the stdlib's names


def run_sink(port_file: str) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


def resident_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure(network: str, mode: str, url: str, path: str) -> dict[str, Any]:
    """One upload in this (child) process: the peak resident memory it added and its seconds."""
    configure()
    import django

    django.setup()
    from pappus.connectors import registry
    from pappus.connectors.contracts import MediaFile, PublishRequest

    registry.load_connectors()
    credentials = {"access_token": "bench"}
    options = {"rooms": "!bench:localhost"}
    before = resident_kib()
    started = time.perf_counter()
    if mode == "path":
        video = MediaFile(b"", "video/mp4", "bench.mp4", path=path)
    else:
        video = MediaFile(Path(path).read_bytes(), "video/mp4", "bench.mp4")
    with registry.build(network, base_url=url, credentials=credentials, options=options) as connector:
        connector.publish(PublishRequest(text="Bench", media=(video,), idempotency_key="bench"))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "network": network,
        "mode": mode,
        "peak_growth_mib": round((peak - before) / 1024, 1),
        "seconds": round(seconds, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--megabytes", type=int, default=None)
    parser.add_argument("--sink", help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=4, metavar=("NETWORK", "MODE", "URL", "PATH"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.sink:
        run_sink(arguments.sink)
        return 0
    if arguments.measure:
        print(json.dumps(measure(*arguments.measure)))
        return 0

    megabytes = arguments.megabytes or (64 if arguments.quick else 200)
    with tempfile.TemporaryDirectory() as folder:
        video = Path(folder) / "bench.mp4"
        with video.open("wb") as file:
            file.truncate(megabytes * MB)  # sparse: nothing on disk, zeros when read
        port_file = Path(folder) / "port"
        sink = subprocess.Popen([sys.executable, __file__, "--sink", str(port_file)])
        try:
            for _attempt in range(100):
                if port_file.exists() and port_file.read_text():
                    break
                time.sleep(0.1)
            url = f"http://127.0.0.1:{port_file.read_text()}"
            results = []
            for network in ("matrix", "mastodon"):
                for mode in ("path", "bytes"):
                    child = subprocess.run(
                        [sys.executable, __file__, "--measure", network, mode, url, str(video)],
                        capture_output=True,
                        text=True,
                        check=True,
                        env={**os.environ},
                    )
                    result = json.loads(child.stdout.strip().splitlines()[-1])
                    results.append(result)
                    growth, seconds = result["peak_growth_mib"], result["seconds"]
                    print(f"{network:9} {mode:6} peak growth {growth:7.1f} MiB  {seconds:6.2f} s")
        finally:
            sink.terminate()
            sink.wait()
    load = os.getloadavg()
    print(json.dumps({"file_mib": megabytes, "load_average_1m": round(load[0], 2), "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
