"""`make bench`: the exported function against the runtimes users would pick instead.

Every variant serves the same handler logic (parse the CloudEvent, read data.Vm.Name, log one
line, answer 204; functions-framework answers its fixed 200 "OK"):

  knotebook      the exported bundle, started with its own Procfile `web:` command
  seed           the seed style: Flask + cloudevents from_http, `flask run` (dev server)
  ff-default     functions-framework, default settings (1 worker x 4*cpu_count threads)
  ff-tuned       functions-framework, WORKERS=2 THREADS=1 (the export's server model)
  func-python    Knative's func-python (ASGI on hypercorn)
  bare-asgi      a bare ASGI app on the export's Procfile command (its server's ceiling)
  bare-wsgi      a bare WSGI app on gunicorn's sync worker
  knotebook-nolog  the export with a function that does not log: the runtime's own cost
With --servers, also the export and the bare app on gunicorn's own asyncio worker (the server
the export used before uvicorn workers), to show what the choice of server trades.

wrk loads each with the same VmCreatedEvent in binary and structured mode, pinned to another
core than the server where there are two. Runs are repeated and alternated; medians are reported.
Competitors live in their own venvs under bench/.venvs/ (never in the product's dependencies).
Results: a Markdown table on stdout, JSON in bench/results/ (latest.json, latest.md).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
APPS = BENCH / "apps"
FF_COMMAND = [
    "functions-framework",
    "--target",
    "handle",
    "--signature-type",
    "cloudevent",
    "--source",
    "ff_main.py",
    "--host",
    "127.0.0.1",
    "--port",
    "{port}",
]
VENVS = BENCH / ".venvs"
BUILD = BENCH / ".build"
RESULTS = BENCH / "results"
sys.path.insert(0, str(REPO / "src"))

# Each venv: what pip installs into it (pinned). The export's is its own requirements.txt.
VENV_SPECS = {
    "export": ["-r", str(REPO / "requirements.txt")],
    "seed": ["Flask==3.1.3", "cloudevents==2.2.0"],
    "ff": ["functions-framework==3.10.2"],
    "knfunc": ["func-python==0.8.1"],
    "expert": ["uvicorn==0.54.0", "httptools==0.9.0", "uvloop==0.23.0", "cloudevents==2.2.0"],
}
SETTINGS = """# knotebook: settings
FUNCTION_NAME = "{name}"
EVENT_TYPES = ["VmCreatedEvent"]
"""
GUNICORN_ASGI = {"GUNICORN_CMD_ARGS": "--worker-class asgi"}  # overrides gunicorn.conf.py
TEMPLATES = ("handler_template.py", "requirements.txt", "Procfile", "gunicorn.conf.py")
SEED_FORMAT = "%(asctime)s %(levelname)s %(name)s %(threadName)s : %(message)s"


@dataclass
class Variant:
    name: str
    what: str
    venv: str
    cwd: Path
    command: list[str]  # {port} is substituted
    env: dict[str, str] = field(default_factory=dict)
    status: int = 204

    def argv(self, port: int) -> list[str]:
        return [part.replace("{port}", str(port)) for part in self.command]


# ---------------------------------------------------------------------------------------------
# setup
# ---------------------------------------------------------------------------------------------
def need_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        print(
            "bench: wrk (the HTTP load generator) is not installed. Install it with:\n"
            "    sudo apt-get update && sudo apt-get install -y wrk\n"
            "(on macOS: brew install wrk), then run `make bench` again.",
            file=sys.stderr,
        )
        sys.exit(2)
    return wrk


def ensure_venv(name: str) -> Path:
    """bench/.venvs/<name>, created and installed once per spec."""
    spec = VENV_SPECS[name]
    folder = VENVS / name
    marker = folder / ".bench-spec"
    wanted = json.dumps(spec) + (REPO / "requirements.txt").read_text() * (name == "export")
    if marker.is_file() and marker.read_text() == wanted:
        return folder
    print(f"bench: creating {folder.relative_to(REPO)} ({' '.join(spec)})", file=sys.stderr)
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "-q"]
    done = subprocess.run(
        [*pip, "--disable-pip-version-check", *spec], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"bench: pip install into {folder} failed:\n{done.stderr}")
    marker.write_text(wanted)
    return folder


def site_packages_mb(venv: Path) -> float:
    """Installed size: site-packages without pip/setuptools (every venv has those)."""
    (site,) = venv.glob("lib/python*/site-packages")
    skip = ("pip", "setuptools", "_distutils_hack", "pkg_resources", "distutils-precedence.pth")
    total = 0
    for entry in site.iterdir():
        if entry.name.startswith(skip):
            continue
        files = [entry] if entry.is_file() else [p for p in entry.rglob("*") if p.is_file()]
        total += sum(p.stat().st_size for p in files)
    return total / 1e6


def export_bundle(name: str = "bench", function: str = "function.py") -> Path:
    """The bench function, exported by knotebook from a scratch project with the templates."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from knotebook.export import exporter

    project = BUILD / "project"
    if not (project / "notebooks").is_dir():
        project.mkdir(parents=True)
        for template in TEMPLATES:
            shutil.copy2(REPO / template, project / template)
        ignore = shutil.ignore_patterns("function.env")
        shutil.copytree(REPO / "k8s", project / "k8s", ignore=ignore)
        (project / "notebooks").mkdir()
    notebook = project / "notebooks" / f"{name}.ipynb"
    settings = SETTINGS.replace("{name}", name)
    cells = [new_code_cell(settings), new_code_cell((APPS / function).read_text())]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, notebook)
    return exporter.export(notebook, output_dir=BUILD / "export", force=True).directory


def variants(bundle: Path, nolog: Path, servers: bool = False) -> list[Variant]:
    from knotebook.local import process

    web = process.web_command(bundle)
    bare = web.replace("handler:app", "bare_asgi:app")
    if bare == web:
        raise SystemExit("bench: the Procfile's web: command does not end in handler:app")
    # the bare app runs from bench/apps: point at the bundle's gunicorn.conf.py
    bare = bare.replace("gunicorn.conf.py", str(bundle / "gunicorn.conf.py"))
    sync = "gunicorn --bind 127.0.0.1:{port} --workers 2 --no-control-socket bare:app"
    out = [
        Variant(
            "knotebook", "exported bundle, its Procfile", "export", bundle, ["bash", "-c", web]
        ),
        Variant(
            "seed",
            "Flask dev server (`flask run`), from_http",
            "seed",
            APPS,
            ["flask", "--app", "seed_app", "run", "--host", "127.0.0.1", "--port", "{port}"],
        ),
        Variant(
            "ff-default",
            "functions-framework, default (1 worker, 4*cpus threads)",
            "ff",
            APPS,
            FF_COMMAND,
            status=200,
        ),
        Variant(
            "ff-tuned",
            "functions-framework, WORKERS=2 THREADS=1",
            "ff",
            APPS,
            FF_COMMAND,
            env={"WORKERS": "2", "THREADS": "1"},
            status=200,
        ),
        Variant(
            "func-python",
            "Knative func-python (ASGI, hypercorn)",
            "knfunc",
            APPS,
            ["python", "knfunc_main.py"],
            env={"LISTEN_ADDRESS": "127.0.0.1:{port}"},
        ),
        Variant(
            "expert",
            "hand-written ASGI + cloudevents 2.x SDK, uvicorn/httptools/uvloop ×2",
            "expert",
            APPS,
            [
                "uvicorn",
                "expert_app:app",
                "--host",
                "127.0.0.1",
                "--port",
                "{port}",
                "--workers",
                "2",
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
        ),
        Variant(
            "bare-asgi",
            "bare ASGI app, the export's Procfile (its server's ceiling)",
            "export",
            APPS,
            ["bash", "-c", bare],
            env={"PYTHONPATH": str(bundle)},  # the server's worker class is in the bundle
        ),
        Variant(
            "knotebook-nolog",
            "the export, a function without the log line (the runtime's own cost)",
            "export",
            nolog,
            ["bash", "-c", web],
        ),
        Variant(
            "bare-wsgi",
            "bare WSGI app, gunicorn sync ×2 (WSGI ceiling)",
            "export",
            APPS,
            ["bash", "-c", sync],
        ),
    ]
    if servers:
        out += [
            Variant(
                "knotebook-gasgi",
                "the export on gunicorn's asyncio worker (GUNICORN_CMD_ARGS)",
                "export",
                bundle,
                ["bash", "-c", web],
                env=GUNICORN_ASGI,
            ),
            Variant(
                "bare-gasgi",
                "bare ASGI app on gunicorn's asyncio worker (its ceiling)",
                "export",
                APPS,
                ["bash", "-c", bare],
                env={**GUNICORN_ASGI, "PYTHONPATH": str(bundle)},
            ),
        ]
    return out


# ---------------------------------------------------------------------------------------------
# servers
# ---------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, variant: Variant, cpu: str | None, log: Path):
        self.variant = variant
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
        venv_bin = str(VENVS / variant.venv / "bin")
        env.update(
            PATH=os.pathsep.join([venv_bin, env.get("PATH", "")]),
            PORT=str(self.port),
            PYTHONUNBUFFERED="1",
            **{k: v.replace("{port}", str(self.port)) for k, v in variant.env.items()},
        )
        argv = variant.argv(self.port)
        if cpu is not None:
            argv = ["taskset", "-c", cpu, *argv]
        self.log = log.open("ab")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            argv,
            cwd=variant.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def pids(self) -> list[int]:
        out = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == self.process.pid:  # session id
                out.append(int(entry))
        return out

    def cpu_seconds(self) -> float:
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def rss_mb(self) -> tuple[float, int]:
        total, count = 0, 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            if match:
                total += int(match.group(1))
                count += 1
        return total / 1024, count

    def stop(self) -> int | None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        self.log.close()
        return self.process.returncode


def post(port: int, headers: dict[str, str], body: bytes, timeout: float = 2.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def wait_ready(server: Server, request: tuple[dict, bytes], timeout: float = 30.0) -> float:
    """Seconds from spawn to the first 2xx answer to the event."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(
                f"bench: {server.variant.name} exited with {server.process.returncode}"
            )
        try:
            status = post(server.port, *request)
        except OSError:
            time.sleep(0.002)
            continue
        if 200 <= status < 300:
            return time.perf_counter() - server.started
        raise SystemExit(f"bench: {server.variant.name} answered {status} to the event")
    raise SystemExit(f"bench: {server.variant.name} not ready after {timeout:.0f} s")


# ---------------------------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------------------------
def wrk_script(mode: str, headers: dict[str, str], body: bytes) -> Path:
    BUILD.mkdir(parents=True, exist_ok=True)
    body_file = BUILD / f"{mode}.body"
    body_file.write_bytes(body)
    lines = [
        'wrk.method = "POST"',
        f'local f = io.open("{body_file}", "rb")',
        'wrk.body = f:read("*a")',
        "f:close()",
    ]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    script = BUILD / f"{mode}.lua"
    script.write_text("\n".join(lines) + "\n")
    return script


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def parse_wrk(out: str) -> dict:
    def latency(pct: str) -> float | None:
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
        return float(match.group(1)) * UNITS[match.group(2)] if match else None

    requests = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return {
        "requests": int(requests.group(1)) if requests else 0,
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def run_wrk(wrk: str, cpu: str | None, port: int, script: Path, seconds: float, conns: int) -> dict:
    argv = [
        wrk,
        "-t1",
        f"-c{conns}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}/",
    ]
    if cpu is not None:
        argv = ["taskset", "-c", cpu, *argv]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30)
    if done.returncode != 0:
        raise SystemExit(f"bench: wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
    return parse_wrk(done.stdout)


# ---------------------------------------------------------------------------------------------
# the benchmark
# ---------------------------------------------------------------------------------------------
def measure_load(variant, args, cpus, wrk, scripts, requests, rep, logs) -> dict:
    server = Server(variant, cpus[0], logs / f"{variant.name}.log")
    try:
        wait_ready(server, requests["binary"])
        for mode in requests:  # both answer before any load
            status = post(server.port, *requests[mode])
            if status != variant.status:
                raise SystemExit(f"bench: {variant.name} answered {status} in {mode} mode")
        run_wrk(wrk, cpus[1], server.port, scripts["binary"], args.warmup, args.connections)
        out: dict = {}
        modes = list(requests) if rep % 2 == 0 else list(reversed(requests))
        for mode in modes:
            cpu0 = server.cpu_seconds()
            result = run_wrk(
                wrk, cpus[1], server.port, scripts[mode], args.duration, args.connections
            )
            cpu = server.cpu_seconds() - cpu0
            result["cpu_us_per_req"] = (
                cpu / result["requests"] * 1e6 if result["requests"] else None
            )
            out[mode] = result
        out["rss_mb"], out["processes"] = server.rss_mb()
        return out
    finally:
        server.stop()


def measure_cold(variant, cpus, requests, logs, runs) -> list[float]:
    times = []
    for i in range(runs + 1):
        server = Server(variant, cpus[0], logs / f"{variant.name}.cold.log")
        try:
            took = wait_ready(server, requests["binary"])
        finally:
            server.stop()
        if i:  # the first run warms the page cache and bytecode
            times.append(took * 1000)
    return times


def sustained(variant, args, cpus, wrk, scripts, requests, logs) -> dict:
    server = Server(variant, cpus[0], logs / f"{variant.name}.sustained.log")
    try:
        wait_ready(server, requests["binary"])
        rss_before, _ = server.rss_mb()
        result = run_wrk(
            wrk, cpus[1], server.port, scripts["binary"], args.sustained, args.connections
        )
        result["seconds"] = args.sustained
        result["rss_mb_before"] = rss_before
        result["rss_mb_after"], _ = server.rss_mb()
        result["server_alive"] = server.process.poll() is None
    finally:
        result["exit_code"] = server.stop()
    return result


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(name, runs, cold, size) -> dict:
    row = {"runs": runs, "cold_start_ms": cold, "size_mb": round(size, 1)}
    for mode in ("binary", "structured"):
        for key in ("rps", "p50_ms", "p99_ms", "cpu_us_per_req"):
            row[f"{mode}_{key}"] = median([r[mode][key] for r in runs])
        row[f"{mode}_errors"] = sum(r[mode]["non_2xx"] + r[mode]["socket_errors"] for r in runs)
    row["rss_mb"] = median([r["rss_mb"] for r in runs])
    row["processes"] = runs[0]["processes"] if runs else None
    row["cold_start_ms_median"] = median(cold)
    return row


def ratios(rows: dict) -> dict:
    k = rows["knotebook"]

    def per_mode(other, key="rps"):
        return {
            mode: round(k[f"{mode}_{key}"] / rows[other][f"{mode}_{key}"], 2)
            for mode in ("binary", "structured")
            if rows.get(other) and rows[other][f"{mode}_{key}"]
        }

    def per_mode_inverse(other, key="cpu_us_per_req"):
        return {
            mode: round(rows[other][f"{mode}_{key}"] / k[f"{mode}_{key}"], 2)
            for mode in ("binary", "structured")
            if rows[other][f"{mode}_{key}"] and k[f"{mode}_{key}"]
        }

    out = {
        "vs_seed": per_mode("seed"),
        "vs_ff_tuned": per_mode("ff-tuned"),
        "vs_ff_default": per_mode("ff-default"),
        "vs_func_python": per_mode("func-python"),
        "vs_expert": per_mode("expert"),
        "of_ceiling": per_mode("bare-asgi"),
        "vs_wsgi_ceiling": per_mode("bare-wsgi"),
    }
    nolog = rows.get("knotebook-nolog")
    ceiling = rows.get("bare-asgi")
    if nolog and ceiling:  # the runtime's own cost: no log line in the function
        out["runtime_of_ceiling"] = {
            mode: round(nolog[f"{mode}_rps"] / ceiling[f"{mode}_rps"], 2)
            for mode in ("binary", "structured")
        }
    gasgi, gasgi_bare, expert = (
        rows.get("knotebook-gasgi"),
        rows.get("bare-gasgi"),
        rows.get("expert"),
    )
    if gasgi and gasgi_bare and expert:
        out["gunicorn_asgi_worker"] = {
            "vs_expert": {
                m: round(gasgi[f"{m}_rps"] / expert[f"{m}_rps"], 2)
                for m in ("binary", "structured")
            },
            "of_ceiling": {
                m: round(gasgi[f"{m}_rps"] / gasgi_bare[f"{m}_rps"], 2)
                for m in ("binary", "structured")
            },
        }
    out["cpu_per_request"] = {  # the other's server CPU µs per request / knotebook's
        other: per_mode_inverse(other)
        for other in (
            "seed",
            "ff-default",
            "ff-tuned",
            "func-python",
            "expert",
            "bare-asgi",
            "bare-wsgi",
        )
        if other in rows
    }
    ff_cold = [rows[n]["cold_start_ms_median"] for n in ("ff-default", "ff-tuned") if n in rows]
    if ff_cold and k["cold_start_ms_median"]:
        out["cold_start_ms"] = {
            "knotebook": k["cold_start_ms_median"],
            "functions-framework": min(ff_cold),
        }
    targets = {
        "rps >= 3x seed": min(out["vs_seed"].values(), default=0) >= 3,
        "rps >= ff-tuned": min(out["vs_ff_tuned"].values(), default=0) >= 1,
        "rps >= func-python": min(out["vs_func_python"].values(), default=0) >= 1,
        "rps >= expert (uvicorn/httptools/uvloop + SDK)": min(out["vs_expert"].values(), default=0)
        >= 1,
        "cold start <= 100 ms": bool(
            k["cold_start_ms_median"] and k["cold_start_ms_median"] <= 100
        ),
        # The issue's target, named for the export's former server (gunicorn sync): a bare WSGI
        # app on gunicorn. The stricter one: the bare app on the export's own Procfile command.
        "rps >= 60% of bare WSGI on gunicorn": min(out["vs_wsgi_ceiling"].values(), default=0)
        >= 0.6,
        "rps >= 75% of the bare app on the same Procfile command": min(
            out["of_ceiling"].values(), default=0
        )
        >= 0.75,
        "cold start <= functions-framework": bool(
            ff_cold and k["cold_start_ms_median"] <= min(ff_cold)
        ),
    }
    out["targets"] = targets
    return out


def fmt(value, spec=",.0f"):
    return "–" if value is None else format(value, spec)


def markdown(result: dict) -> str:
    meta, rows = result["meta"], result["variants"]
    lines = [
        f"Benchmark {meta['date']} · {meta['machine']} · Python {meta['python']} · "
        f"server on CPU {meta['server_cpu']}, wrk on CPU {meta['wrk_cpu']} · "
        f"wrk -t1 -c{meta['connections']} -d{meta['duration']}s × {meta['reps']} runs "
        "(median) · same VmCreatedEvent (binary 841 B body, structured 1,214 B) · "
        f"load average {meta['loadavg_before'][0]:.1f} before, {meta['loadavg_after'][0]:.1f} "
        "after (other work shares the machine: compare within the run)",
        "",
        "| variant | req/s bin | req/s struct | p50 / p99 ms bin | p50 / p99 ms struct | "
        "server CPU µs/req bin / struct | RSS MB (procs) | cold start ms | installed MB | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| **{name}** ({r['what']}) | {fmt(r['binary_rps'])} | {fmt(r['structured_rps'])} | "
            f"{fmt(r['binary_p50_ms'], '.2f')} / {fmt(r['binary_p99_ms'], '.2f')} | "
            f"{fmt(r['structured_p50_ms'], '.2f')} / {fmt(r['structured_p99_ms'], '.2f')} | "
            f"{fmt(r['binary_cpu_us_per_req'])} / {fmt(r['structured_cpu_us_per_req'])} | "
            f"{fmt(r['rss_mb'])} ({r['processes']}) | {fmt(r['cold_start_ms_median'])} | "
            f"{fmt(r['size_mb'], '.1f')} | {r['binary_errors'] + r['structured_errors']} |"
        )
    rat = result.get("ratios")
    if rat:

        def pair(d):
            return " / ".join(f"{v:.2f}×" for v in d.values()) + " (bin / struct)" if d else "–"

        lines += [
            "",
            "knotebook, side by side in this run:",
            f"- vs seed (`flask run`): {pair(rat['vs_seed'])}",
            f"- vs functions-framework tuned: {pair(rat['vs_ff_tuned'])}; "
            f"default: {pair(rat['vs_ff_default'])}",
            f"- vs func-python: {pair(rat['vs_func_python'])}",
            f"- vs the expert's hand-written ASGI app on uvicorn: {pair(rat['vs_expert'])}",
            "- of the bare app on the same server (bare-asgi, the ceiling): "
            + " / ".join(f"{v:.0%}" for v in rat["of_ceiling"].values())
            + " (bin / struct)",
            f"- vs the bare WSGI app on gunicorn sync (bare-wsgi): {pair(rat['vs_wsgi_ceiling'])}",
        ]
        if "runtime_of_ceiling" in rat:
            lines.append(
                "- the runtime alone (knotebook-nolog) of the same ceiling: "
                + " / ".join(f"{v:.0%}" for v in rat["runtime_of_ceiling"].values())
                + " (bin / struct)"
            )
        if "gunicorn_asgi_worker" in rat:
            g = rat["gunicorn_asgi_worker"]
            lines.append(
                f"- on gunicorn's asyncio worker instead: {pair(g['vs_expert'])} the expert, "
                + " / ".join(f"{v:.0%}" for v in g["of_ceiling"].values())
                + " of that server's bare app (bin / struct)"
            )
        cpu = rat["cpu_per_request"]
        lines.append(
            "- server CPU per request, the other's / knotebook's (bin / struct): "
            + "; ".join(
                f"{name} " + " / ".join(f"{v:.2f}×" for v in cpu[name].values()) for name in cpu
            )
        )
        if "cold_start_ms" in rat:
            c = rat["cold_start_ms"]
            lines.append(
                f"- cold start: {c['knotebook']:.0f} ms vs functions-framework "
                f"{c['functions-framework']:.0f} ms"
            )
        lines.append(
            "- targets: "
            + ", ".join(f"{k} {'PASS' if v else 'FAIL'}" for k, v in rat["targets"].items())
        )
    s = result.get("sustained")
    if s:
        lines += [
            "",
            f"Sustained: knotebook, binary, {s['seconds']} s at -c{meta['connections']}: "
            f"{s['requests']:,} requests ({s['rps']:,.0f}/s), {s['non_2xx']} non-2xx, "
            f"{s['socket_errors']} socket errors, p99 {fmt(s['p99_ms'], '.2f')} ms, "
            f"RSS {s['rss_mb_before']:.0f} → {s['rss_mb_after']:.0f} MB, "
            f"exit {s['exit_code']} after SIGTERM.",
        ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 run of 3 s, 10 s sustained")
    parser.add_argument("--reps", type=int, default=4)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--sustained", type=float, default=60.0, help="seconds; 0 to skip")
    parser.add_argument("--only", help="comma-separated variant names")
    parser.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    parser.add_argument(
        "--servers", action="store_true", help="also the export on gunicorn's asyncio worker"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.reps, args.duration, args.cold_runs, args.sustained = 1, 3.0, 3, 10.0

    wrk = need_wrk()
    from knotebook import events
    from knotebook.local import process

    for name in VENV_SPECS:
        ensure_venv(name)
    bundle = export_bundle()
    chosen = variants(bundle, export_bundle("bench-nolog", "function_nolog.py"), args.servers)
    if args.only:
        keep = set(args.only.split(","))
        chosen = [v for v in chosen if v.name in keep]
    pin = (not args.no_pin) and shutil.which("taskset") and len(os.sched_getaffinity(0)) >= 2
    cpus = ("0", "1") if pin else (None, None)

    event = events.sample("VmCreatedEvent")
    requests = {
        "binary": events.to_binary(event),
        "structured": (
            {"Content-Type": "application/cloudevents+json"},
            events.to_structured(event),
        ),
    }
    scripts = {mode: wrk_script(mode, *requests[mode]) for mode in requests}
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    logs = BUILD / "logs" / stamp
    logs.mkdir(parents=True, exist_ok=True)

    load_before = os.getloadavg()
    runs: dict[str, list] = {v.name: [] for v in chosen}
    total = args.reps * len(chosen)
    done = 0
    for rep in range(args.reps):
        order = chosen[rep % len(chosen) :] + chosen[: rep % len(chosen)]  # alternate the order
        for variant in order:
            done += 1
            print(f"bench: [{done}/{total}] {variant.name} (run {rep + 1})", file=sys.stderr)
            runs[variant.name].append(
                measure_load(variant, args, cpus, wrk, scripts, requests, rep, logs)
            )
    rows = {}
    for variant in chosen:
        print(f"bench: cold start {variant.name}", file=sys.stderr)
        cold = measure_cold(variant, cpus, requests, logs, args.cold_runs)
        rows[variant.name] = {
            "what": variant.what,
            **summarize(
                variant.name, runs[variant.name], cold, site_packages_mb(VENVS / variant.venv)
            ),
        }
    result = {
        "meta": {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Linux {platform.release()}",
            "python": platform.python_version(),
            "wrk": subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout.split("\n")[
                0
            ],
            "server_cpu": cpus[0] or "any",
            "wrk_cpu": cpus[1] or "any",
            "connections": args.connections,
            "duration": args.duration,
            "reps": args.reps,
            "procfile_web": process.web_command(bundle),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        },
        "variants": rows,
    }
    if "knotebook" in rows:
        result["ratios"] = ratios(rows)
        if args.sustained > 0:
            print(f"bench: sustained {args.sustained:.0f} s", file=sys.stderr)
            knotebook = next(v for v in chosen if v.name == "knotebook")
            result["sustained"] = sustained(knotebook, args, cpus, wrk, scripts, requests, logs)
    table = markdown(result)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(result, indent=2) + "\n"
    (RESULTS / f"{stamp}.json").write_text(text)
    (RESULTS / "latest.json").write_text(text)
    (RESULTS / "latest.md").write_text(table)
    print(f"bench: wrote bench/results/{stamp}.json, latest.json and latest.md", file=sys.stderr)
    s = result.get("sustained")
    if s and (s["non_2xx"] or s["socket_errors"] or not s["server_alive"]):
        print("bench: the sustained run had errors", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
