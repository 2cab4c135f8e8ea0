"""Latency of the suggestion API over loopback: p50 / p99 with 1 client and 8 concurrent clients, server RSS.

The server runs in its own process, exactly as deployed (`motifs serve --model …`), with a fresh SQLite database.
Requests are 60-word notes (built from the demo corpus when `training.demo` is available, else from a small
built-in French generator) with a call_id, so each suggestion is also stored — what the agents' page does.
Baseline in the same run: `GET /livez` round-trips, the HTTP floor of this machine and client.

Targets (issue 4): p50 ≤ 10 ms, p99 ≤ 25 ms for 1 and 8 clients; server RSS ≤ 1 GB.

    python benchmarks/api_latency.py --model models:/motifs-reasons@champion
    python benchmarks/api_latency.py --model motifs-data/model          # an artifact directory
    python benchmarks/api_latency.py --model stub                       # no model: the floor of our own stack
    python benchmarks/api_latency.py --model DIR --update-docs           # rewrite the section of docs/BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import psutil

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "BENCHMARKS.md"
START, END = "<!-- api_latency:start -->", "<!-- api_latency:end -->"
TARGET_P50_MS, TARGET_P99_MS, TARGET_RSS_MB = 10.0, 25.0, 1024.0


# --- notes -------------------------------------------------------------------------------------------------------
_FALLBACK_PHRASES = (
    "l'usager appelle car il n'a pas reçu son versement de ce mois",
    "il demande une attestation de paiement pour son bailleur",
    "dossier déposé il y a trois semaines toujours en cours d'instruction",
    "changement d'adresse à déclarer suite à un déménagement récent",
    "ne parvient plus à se connecter à son espace personnel mot de passe oublié",
    "courrier reçu incompris concernant un trop-perçu à rembourser",
    "souhaite prendre rendez-vous avec un conseiller la semaine prochaine",
    "demande quelles pièces justificatives fournir pour compléter la demande",
    "montant du versement en baisse sans explication depuis la révision",
    "réclamation sur le délai de traitement jugé trop long",
    "rappel prévu, informations données sur les droits et la démarche en ligne",
)


def notes(count: int, words: int = 60, seed: int = 7) -> tuple[list[str], str]:
    """`count` notes of exactly `words` words, and where they come from."""
    rng = random.Random(seed)
    pool: list[str]
    try:
        from training.demo import DemoSettings, generate_demo_calls

        frame = next(iter(generate_demo_calls(DemoSettings(rows=max(2000, count * 3), seed=seed))))
        pool = [str(text) for text in frame["text"].tolist() if str(text).strip()]
        source = "corpus de démonstration (training.demo), notes concaténées jusqu'à 60 mots"
    except ImportError:
        pool = list(_FALLBACK_PHRASES)
        source = "générateur de repli (phrases françaises intégrées au script)"
    result = []
    for _ in range(count):
        tokens: list[str] = []
        while len(tokens) < words:
            tokens.extend(rng.choice(pool).split())
        result.append(" ".join(tokens[:words]))
    return result, source


# --- server ------------------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(model: str, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env["MOTIFS_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.db'}"
    if model == "stub":
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "benchmarks.stub_app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    else:
        command = [sys.executable, "-m", "motifs", "serve", "--model", model, "--port", str(port)]
    log = (workdir / "server.log").open("wb")
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(base: str, server: subprocess.Popen[bytes], timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"le serveur s'est arrêté (code {server.returncode}) : voir son journal")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise SystemExit("le serveur n'est pas prêt après 10 minutes")


class RssSampler:
    """Peak resident memory of the server process (and its children) while the benchmark runs."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.current())
            time.sleep(0.05)

    def current(self) -> int:
        try:
            processes = [self.process, *self.process.children(recursive=True)]
            return sum(p.memory_info().rss for p in processes)
        except psutil.Error:
            return 0

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


# --- clients -----------------------------------------------------------------------------------------------------
def _client_loop(
    args: tuple[str, str, list[str] | None, int, str, bool, float], *, strict: bool = True
) -> tuple[list[float], float]:
    """One client: `n` requests in a row on one keep-alive connection, from `start_at` (wall clock) so that
    concurrent clients really overlap; latencies in ms and the loop's duration in s. `strict`: a degraded answer
    (the server's timeout) stops the benchmark, since it would not measure the model."""
    base, path, texts, n, tag, store, start_at = args
    latencies: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as http:
        http.get("/livez")  # open the connection before the clock starts
        time.sleep(max(0.0, start_at - time.time()))
        loop_started = time.perf_counter()
        for i in range(n):
            started = time.perf_counter()
            if texts is None:
                response = http.get(path)
            else:
                body = {"text": texts[i % len(texts)], "site": "metropole_lyon"}
                if store:
                    body["call_id"] = f"bench-{tag}-{i}"
                response = http.post(path, json=body)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{path} : statut {response.status_code}")
            if strict and texts is not None and response.json().get("degraded"):
                raise RuntimeError("réponse dégradée (délai dépassé) : le résultat ne mesurerait pas le modèle")
            latencies.append(elapsed)
    return latencies, time.perf_counter() - loop_started


def measure(
    base: str, path: str, texts: list[str] | None, clients: int, per_client: int, label: str, store: bool
) -> tuple[list[float], float]:
    """Latencies of every request of `clients` concurrent clients, and the wall time of the slowest client."""
    if clients == 1:
        return _client_loop((base, path, texts, per_client, f"{label}-0", store, 0.0))
    # Separate processes: clients in threads of one process would mostly measure the client's GIL.
    start_at = time.time() + 3.0 + 0.5 * clients  # after every worker process has started
    jobs = [(base, path, texts, per_client, f"{label}-{c}", store, start_at) for c in range(clients)]
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        results = pool.map(_client_loop, jobs)
    return [latency for latencies, _ in results for latency in latencies], max(seconds for _, seconds in results)


@dataclass
class Row:
    scenario: str
    clients: int
    latencies: list[float]
    seconds: float

    @property
    def p50(self) -> float:
        return float(np.percentile(self.latencies, 50))

    @property
    def p99(self) -> float:
        return float(np.percentile(self.latencies, 99))

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"{cpu}, {os.cpu_count()} cœurs logiques, {system}"


def report(rows: list[Row], *, model: str, source: str, rss_mb: float, idle_rss_mb: float, store: bool) -> str:
    lines = [
        START,
        "## API de suggestion — latence (`benchmarks/api_latency.py`)",
        "",
        f"- Date : {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} ; machine : {machine()}",
        f"- Modèle : `{model}` ; notes : 60 mots, {source} ; boucle locale, HTTP/1.1 keep-alive ; "
        + ("chaque suggestion enregistrée (call_id) dans une base SQLite." if store else "rien n'est enregistré."),
        "- Référence dans la même exécution : `GET /livez` (plancher HTTP de la machine et du client).",
        "",
        "| scénario | clients | requêtes | p50 (ms) | p99 (ms) | débit (req/s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        cells = (row.scenario, row.clients, len(row.latencies), f"{row.p50:.1f}", f"{row.p99:.1f}", f"{row.rate:.0f}")
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    suggestion_rows = [row for row in rows if row.scenario.startswith("POST")]
    p50_ok = all(row.p50 <= TARGET_P50_MS for row in suggestion_rows)
    p99_ok = all(row.p99 <= TARGET_P99_MS for row in suggestion_rows)
    lines += [
        "",
        f"- Mémoire résidente du serveur : {idle_rss_mb:.0f} Mo au repos, pic {rss_mb:.0f} Mo "
        f"(cible ≤ {TARGET_RSS_MB:.0f} Mo : {'atteinte' if rss_mb <= TARGET_RSS_MB else 'NON atteinte'}).",
        f"- Cibles de latence (p50 ≤ {TARGET_P50_MS:.0f} ms : {'atteinte' if p50_ok else 'NON atteinte'} ; "
        f"p99 ≤ {TARGET_P99_MS:.0f} ms : {'atteinte' if p99_ok else 'NON atteinte'}).",
        "- Les clients tournent sur la même machine que le serveur : avec 8 clients sur peu de cœurs, ils lui "
        "prennent du temps de calcul ; à relancer sur une machine calme.",
        END,
    ]
    return "\n".join(lines) + "\n"


def update_docs(section: str) -> None:
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Mesures de performance\n\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        text = before + section.rstrip("\n") + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOCS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=os.environ.get("MOTIFS_MODEL"), help="dossier, models:/… ou « stub »")
    parser.add_argument("--requests", type=int, default=600, help="requêtes par scénario (réparties entre clients)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--no-store", dest="store", action="store_false", help="sans call_id : rien n'est enregistré")
    parser.add_argument("--update-docs", action="store_true", help="réécrit la section de docs/BENCHMARKS.md")
    args = parser.parse_args()
    if not args.model:
        parser.error("--model est requis (dossier d'artefact, models:/motifs-reasons@champion, ou « stub »)")

    texts, source = notes(400)
    with tempfile.TemporaryDirectory(prefix="motifs-bench-") as tmp:
        workdir = Path(tmp)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(args.model, port, workdir)
        try:
            print(f"démarrage du serveur ({args.model})…", flush=True)
            wait_ready(base, server)
            _client_loop((base, "/v1/suggestions", texts, 50, "warmup", args.store, 0.0), strict=False)
            sampler = RssSampler(server.pid)
            idle_rss_mb = sampler.current() / 2**20
            rows: list[Row] = []
            with sampler:
                for clients in args.clients:
                    per_client = max(1, args.requests // clients)
                    for scenario, path, payload in (
                        ("GET /livez (plancher HTTP)", "/livez", None),
                        ("POST /v1/suggestions", "/v1/suggestions", texts),
                    ):
                        latencies, seconds = measure(
                            base, path, payload, clients, per_client, f"{clients}c", args.store
                        )
                        rows.append(Row(scenario, clients, latencies, seconds))
                        print(
                            f"  {scenario}, {clients} client(s) : p50 {rows[-1].p50:.1f} ms, p99 {rows[-1].p99:.1f} ms",
                            flush=True,
                        )
            section = report(
                rows,
                model=args.model,
                source=source,
                rss_mb=sampler.peak / 2**20,
                idle_rss_mb=idle_rss_mb,
                store=args.store,
            )
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            if server.returncode not in (0, -15, None):
                print((workdir / "server.log").read_text(errors="replace")[-3000:], file=sys.stderr)
    print()
    print(section)
    if args.update_docs:
        update_docs(section)
        print(f"section écrite dans {DOCS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
