"""Benchmark the HTTP service (`rashrisk serve`) under bounded loopback load.

Starts `rashrisk serve` on a free 127.0.0.1 port (embedded default models, a throw-away token), then,
for each scenario and each number of concurrent clients (1, 10, 50), sends a fixed number of requests
over keep-alive connections, each scenario stopped after a time limit, and prints throughput, the
p50/p95/p99 latency, the error count (any status other than 200, or a connection error) and how many
requests were still open when the time limit stopped the scenario ("cut", not errors). Last it
prints the in-process time of the same request bodies (the same functions the endpoint calls, no
HTTP) for the ratio.

Scenarios: POST /v1/score with one patient at the start stage, one patient at the TDM stage (one
sample), and a batch of 100 patients (start stage).

The load generator is a small asyncio HTTP/1.1 client in this process (keep-alive connections, every
response's status checked, uvloop when installed), on the same 2 cores as the server: its own cost
is part of the figures, and its CPU per request is printed ("client cpu ms/req"). The server runs
with ``--workers 2`` by default (one process per core). Traffic goes to 127.0.0.1 only; every loop is bounded
in request count and time, and the server is stopped at the end.

Run: .venv/bin/python bench/bench_service.py [--requests 400] [--batch-requests 20] [--time-limit 30]
                                              [--workers 2] [--clients 1,10,50] [--scenarios start,tdm,batch]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"
TOKEN = "bench-token-" + os.urandom(12).hex()
from rashrisk.service.schemas import EXAMPLE_PATIENT as PATIENT  # noqa: E402  (the docs/reports.md document)


SCENARIO_KEYS = {"start": "score start, 1 patient", "tdm": "score tdm, 1 patient (1 sample)",
                 "batch": "score start, batch of 100"}


def scenarios() -> dict[str, dict]:
    batch = [dict(PATIENT, patient_id=f"B{i:03d}", age_years=30 + i % 50, weight_kg=45 + i % 40) for i in range(100)]
    return {SCENARIO_KEYS["start"]: {"stage": "start", "patient": dict(PATIENT, tdm=[])},
            SCENARIO_KEYS["tdm"]: {"stage": "tdm", "patient": PATIENT},
            SCENARIO_KEYS["batch"]: {"stage": "start", "patients": batch}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ, RASHRISK_API_TOKEN=TOKEN)
    rashrisk = [sys.executable, "-m", "rashrisk.cli.main"]
    with open(log, "w", encoding="utf-8") as handle:
        server = subprocess.Popen([*rashrisk, "serve", "--host", HOST, "--port", str(port), "--workers", str(workers),
                                   "--log-level", "warning"], stdout=handle, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: {log.read_text(encoding='utf-8')}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("the server did not become ready in 120 s")


async def _request(reader, writer, raw: bytes) -> int:
    writer.write(raw)
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    await reader.readexactly(length)
    return status


async def load(port: int, body: dict, clients: int, n_requests: int, time_limit_s: float) -> dict:
    data = json.dumps(body).encode()
    raw = (f"POST /v1/score HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {TOKEN}\r\n"
           f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode() + data
    latencies: list[float] = []
    errors = 0  # a status other than 200, or a connection error
    cut = 0  # requests still open when the time limit ended the scenario
    issued = 0
    stop_at = time.perf_counter() + time_limit_s
    client_cpu = time.process_time()  # the load generator's own CPU (it shares the cores with the server)

    async def client():
        nonlocal errors, issued, cut
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while issued < n_requests and time.perf_counter() < stop_at:
                issued += 1
                started = time.perf_counter()
                try:
                    status = await asyncio.wait_for(_request(reader, writer, raw), timeout=max(stop_at - started, 1))
                except asyncio.TimeoutError:
                    cut += 1
                    break
                except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                    errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(HOST, port)
                    continue
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    client_cpu = time.process_time() - client_cpu
    return {"done": len(latencies), "errors": errors, "cut": cut, "elapsed_s": elapsed, "latencies": sorted(latencies),
            "client_cpu_ms": client_cpu / max(len(latencies), 1) * 1e3}


def run(coroutine):
    """asyncio.run, on uvloop when it is installed (the server's loop too): a leaner load generator."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(q / 100 * len(values) + 0.5)) - 1))
    return values[k]


def in_process_ms(body: dict, repeats: int) -> tuple[float, float]:
    """Median ms of the endpoint's work without HTTP: body -> ScoringInput (contract) -> score table
    -> records, and of the scoring alone (ScoringInput already built)."""
    from rashrisk.models.bundle import load_default_model
    from rashrisk.scoring.output import table_records
    from rashrisk.scoring.score import score_input
    from rashrisk.service.inputs import batch_input, single_input

    model = load_default_model(body["stage"])

    def build():
        return single_input(body["patient"]) if "patient" in body else batch_input(body["patients"])

    for _ in range(3):
        table_records(score_input(build(), body["stage"], model))
    whole, scoring = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        found = build()
        t1 = time.perf_counter()
        table_records(score_input(found, body["stage"], model))
        t2 = time.perf_counter()
        whole.append(t2 - t0)
        scoring.append(t2 - t1)
    return statistics.median(whole) * 1e3, statistics.median(scoring) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per single-patient scenario and client count")
    parser.add_argument("--batch-requests", type=int, default=20, help="requests per batch scenario and client count")
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per scenario and client count")
    parser.add_argument("--workers", type=int, default=2, help="rashrisk serve --workers (one per core)")
    parser.add_argument("--clients", default="1,10,50")
    parser.add_argument("--scenarios", default="start,tdm,batch", help="some of start, tdm, batch")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    chosen = {SCENARIO_KEYS[k.strip()] for k in args.scenarios.split(",")}
    selected = {name: body for name, body in scenarios().items() if name in chosen}
    print(f"load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; server workers {args.workers}; the load "
          "generator runs on the same machine")
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        server = start_server(port, args.workers, Path(folder) / "server.log")
        try:
            print(f"{'scenario':34} {'clients':>7} {'done':>5} {'errors':>6} {'cut':>4} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
                  f"{'p99 ms':>8} {'client cpu ms/req':>17}")
            for name, body in selected.items():
                n = args.batch_requests if "patients" in body else args.requests
                run(load(port, body, 4, 20, 10))  # warm-up (connections spread over the workers)
                for c in clients:
                    r = run(load(port, body, c, n, args.time_limit))
                    lat = r["latencies"]
                    print(f"{name:34} {c:7d} {r['done']:5d} {r['errors']:6d} {r['cut']:4d} {r['done'] / r['elapsed_s']:8.1f} "
                          f"{percentile(lat, 50) * 1e3:8.1f} {percentile(lat, 95) * 1e3:8.1f} "
                          f"{percentile(lat, 99) * 1e3:8.1f} {r['client_cpu_ms']:17.2f}", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=60)
    print("\nin process, same bodies, no HTTP (median): contract check + scoring | scoring alone")
    for name, body in selected.items():
        whole, scoring = in_process_ms(body, 10 if "patients" in body else 50)
        print(f"{name:34} {whole:8.1f} ms | {scoring:8.1f} ms")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
