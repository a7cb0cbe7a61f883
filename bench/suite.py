#!/usr/bin/env python3
"""The Weft bench suite: every scenario beside its references, in one run.

Run it through scripts/bench.sh (installs the tools, builds the release preset).
By hand:  python3 bench/suite.py --build-dir build/release [--reps 5] [--out DIR]

What it does (bench/README.md, "The suite"):
  * states the machine: CPU model and cores, kernel, TCP congestion control,
    load average, and which CPU each process is pinned to (client side CPU 0,
    server side CPU 1);
  * makes three network namespaces of its own (names start with "wb"): M, where
    the Weft lab (root, controller, weftd daemons, SDK nodes) and the kernel
    loopback reference run on M's private loopback; A and B, joined by a veth
    pair (the "veth" reference) and by a wireguard-go tunnel over that veth
    (the "wireguard-go" reference: kernel TCP through the tunnel);
  * runs the measuring engine (weft-intercept-bench) once for all scenarios
    and references, interleaved, `--reps` repetitions; then once per loss rate
    (1% and 5%, every packet arriving on M's loopback or a veth end dropped
    with that probability by an nftables rule: this kernel has no netem) with the SDK,
    the intercept and the references;
  * prints a table (median and min-max of the repetitions, ratios to each
    reference), writes results.json and PNG plots (gnuplot) into --out;
  * deletes its namespaces, devices and processes at the end, on error and
    on Ctrl-C.

Without root (or without ip, wireguard-go, wg, nft or gnuplot) the scenarios
that need them are reported as skipped, never faked. --smoke: tiny sizes, one
repetition, for the ctest that keeps the suite from rotting.

Python 3 standard library only.
"""

import argparse
import datetime
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

IP = "/usr/sbin/ip"
VETH_NET = "10.201.0"
WG_NET = "10.202.0"
WG_PORT = 51820


T0 = time.monotonic()


def log(msg):
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def run(argv, check=True, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def machine():
    model = ""
    for line in read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    commit = run(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "rev-parse", "--short",
                  "HEAD"], check=False).stdout.strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "congestion_control": read("/proc/sys/net/ipv4/tcp_congestion_control", "?"),
        "load_average_start": read("/proc/loadavg"),
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "commit": commit,
        "pinning": "client side (client process, its weftd or wireguard-go) on CPU 0, "
                   "server side on CPU 1",
    }


class Namespaces:
    """The suite's namespaces, veth pair and wireguard-go tunnel; removed by close()."""

    def __init__(self, with_wireguard, pin):
        tag = f"wb{os.getpid() % 10000:04d}"
        self.m, self.a, self.b = tag + "m", tag + "a", tag + "b"
        self.veth_a, self.veth_b = tag + "va", tag + "vb"
        self.wg_a, self.wg_b = tag + "wa", tag + "wb"
        self.made = []
        self.wg_procs = {}
        self.keydir = tempfile.mkdtemp(prefix="wb-keys-")
        try:
            self.make(with_wireguard, pin)
        except BaseException:
            self.close()  # what was made so far
            raise

    def make(self, with_wireguard, pin):
        for ns in (self.m, self.a, self.b):
            run([IP, "netns", "add", ns])
            self.made.append(ns)
            self.ns(ns, IP, "link", "set", "lo", "up")
        run([IP, "link", "add", self.veth_a, "netns", self.a, "type", "veth", "peer", "name",
             self.veth_b, "netns", self.b])
        self.ns(self.a, IP, "addr", "add", f"{VETH_NET}.1/24", "dev", self.veth_a)
        self.ns(self.b, IP, "addr", "add", f"{VETH_NET}.2/24", "dev", self.veth_b)
        self.ns(self.a, IP, "link", "set", self.veth_a, "up")
        self.ns(self.b, IP, "link", "set", self.veth_b, "up")
        if with_wireguard:
            self.wireguard(pin)

    def ns(self, ns, *argv, check=True):
        return run([IP, "netns", "exec", ns, *argv], check=check)

    def wireguard(self, pin):
        keys = {}
        for side in ("a", "b"):
            priv = run(["wg", "genkey"]).stdout.strip()
            pub = run(["wg", "pubkey"], input=priv + "\n").stdout.strip()
            path = os.path.join(self.keydir, side)
            with open(path, "w") as f:
                f.write(priv + "\n")
            keys[side] = (path, pub)
        env = dict(os.environ, WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD="1")
        for side, ns, dev in (("a", self.a, self.wg_a), ("b", self.b, self.wg_b)):
            # Pinned from the start (client side B on CPU 0, server side A on
            # CPU 1): Go sizes its scheduler to the CPUs it may use when it
            # starts, and its threads thrash when pinned to one CPU later.
            taskset = ["taskset", "-c", "1" if side == "a" else "0"] if pin else []
            p = subprocess.Popen([IP, "netns", "exec", ns, *taskset, "wireguard-go", "-f", dev],
                                 env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.wg_procs[side] = p
            for _ in range(200):
                if self.ns(ns, IP, "link", "show", dev, check=False).returncode == 0:
                    break
                time.sleep(0.025)
            else:
                raise RuntimeError(f"wireguard-go did not make {dev}")
        for side, ns, dev, peer, peer_ip in (("a", self.a, self.wg_a, "b", 2),
                                             ("b", self.b, self.wg_b, "a", 1)):
            self.ns(ns, "wg", "set", dev, "private-key", keys[side][0], "listen-port", str(WG_PORT),
                    "peer", keys[peer][1], "allowed-ips", f"{WG_NET}.{peer_ip}/32", "endpoint",
                    f"{VETH_NET}.{peer_ip}:{WG_PORT}")
            self.ns(ns, IP, "addr", "add", f"{WG_NET}.{1 if side == 'a' else 2}/24", "dev", dev)
            self.ns(ns, IP, "link", "set", dev, "up")

    def wg_pids(self):
        # `ip netns exec` execs wireguard-go: the PID is wireguard-go's.
        return {"wireguard-go client": self.wg_procs["b"].pid,
                "wireguard-go server": self.wg_procs["a"].pid}

    def set_loss(self, percent):
        """Drops `percent`% of the packets arriving on M's loopback and on each veth end."""
        for ns, dev in ((self.m, "lo"), (self.a, self.veth_a), (self.b, self.veth_b)):
            self.ns(ns, "nft", "delete", "table", "inet", "wbloss", check=False)
            # The rule drops whole buffers: a GSO buffer (a 64 KiB TCP segment on
            # loopback, a 64-datagram UDP burst) would lose dozens of packets at
            # once. Under loss every packet crosses one at a time, as on a wire,
            # and loopback carries Ethernet-sized packets like the veth.
            link = ["gso_max_segs", "1" if percent > 0 else "65535"]
            if dev == "lo":
                link = ["mtu", "1500" if percent > 0 else "65536"] + link
            self.ns(ns, IP, "link", "set", "dev", dev, *link)
            if percent <= 0:
                continue
            # At the receiving end (prerouting): a drop in the output hook
            # would fail the sender's call (EPERM), not lose a packet.
            rule = (f"table inet wbloss {{\n chain in {{\n  type filter hook prerouting priority 0;\n"
                    f"  iifname \"{dev}\" numgen random mod 1000 < {int(percent * 10)} drop\n }}\n}}\n")
            run([IP, "netns", "exec", ns, "nft", "-f", "-"], input=rule)

    def close(self):
        for p in self.wg_procs.values():
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for dev in (self.wg_a, self.wg_b):
            try:
                os.unlink(f"/var/run/wireguard/{dev}.sock")
            except OSError:
                pass
        for ns in self.made:
            run([IP, "netns", "delete", ns], check=False)
        shutil.rmtree(self.keydir, ignore_errors=True)


def have(tool):
    return shutil.which(tool) is not None


class Engine:
    """Runs weft-intercept-bench; its stderr (the daemons' logs) goes to a file."""

    def __init__(self, path, logfile):
        self.path = path
        self.logfile = logfile
        self.proc = None

    def run(self, prefix, args, timeout):
        with tempfile.NamedTemporaryFile(prefix="wb-engine-", suffix=".json", delete=False) as t:
            out = t.name
        try:
            return self.run_to(out, prefix + [self.path] + args + ["--json", out], timeout)
        finally:
            try:
                os.unlink(out)
            except OSError:
                pass

    def run_to(self, out, argv, timeout):
        log("engine: " + " ".join(argv))
        with open(self.logfile, "a") as err:
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True,
                                         start_new_session=True)
            try:
                text, _ = self.proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.stop()
                raise RuntimeError(f"the engine did not finish within {timeout} s")
            rc = self.proc.returncode
            self.proc = None
        log(f"engine: exit {rc}")
        for line in text.splitlines():
            log("  | " + line)
        try:
            with open(out) as f:
                return json.load(f)
        except (OSError, ValueError):
            raise RuntimeError(f"the engine exited {rc} without results (log: {self.logfile})")

    def stop(self):
        # Its own process group (start_new_session): the engine and the peers,
        # daemons and nodes it started, and nothing else.
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# ---- figures

METRICS = [
    # key in the engine's case, table heading, scale, format
    ("mb_s", "1 stream Gbit/s", 8 / 1000, "{:.2f}"),
    ("mb_s_streams", "4 streams Gbit/s", 8 / 1000, "{:.2f}"),
    ("rtt_p50_us", "RTT p50 us", 1, "{:.0f}"),
    ("rtt_p99_us", "RTT p99 us", 1, "{:.0f}"),
    ("conn_per_s", "conn/s", 1, "{:.0f}"),
    ("ttfb_ms", "first byte ms", 1, "{:.1f}"),
]

REFERENCES = ["kernel", "veth", "wireguard-go"]


def summary(values, scale=1.0):
    v = sorted(x * scale for x in values)
    if not v:
        return None
    return {"median": statistics.median(v), "min": v[0], "max": v[-1], "n": len(v)}


def summarize(case):
    s = {"name": case["name"], "what": case["what"], "failed": case["failed"]}
    for key, _, scale, _ in METRICS:
        s[key] = summary(case.get(key, []), scale)
    s["cpu_s_per_gb"] = case.get("cpu_s_per_gb_total")
    s["cpu_s_per_gb_by_process"] = case.get("cpu_s_per_gb", {})
    s["rss_kb"] = case.get("rss_kb", {})
    s["idle"] = case.get("idle", {})
    s["processes"] = case.get("processes", [])
    return s


def cell(s, fmt):
    if not s:
        return "-"
    if s["n"] == 1:
        return fmt.format(s["median"])
    return f"{fmt.format(s['median'])} ({fmt.format(s['min'])}-{fmt.format(s['max'])})"


def table(rows, headings):
    widths = [max(len(str(r[i])) for r in rows + [headings]) for i in range(len(headings))]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headings, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    return "\n".join(lines)


def node_processes(case):
    """The processes that carry a case's node or tunnel end (client side first)."""
    labels = [p["label"] for p in case["processes"]]
    carriers = [x for x in labels if x.startswith(("weftd", "wireguard-go"))]
    if case["name"] == "tap":
        return ["client"] + carriers
    return carriers or ["client", "server"]


def main_table(cases):
    rows = []
    for c in cases:
        row = [c["name"]]
        for key, _, _, fmt in METRICS:
            row.append(cell(c[key], fmt))
        row.append("-" if c["cpu_s_per_gb"] is None else f"{c['cpu_s_per_gb']:.2f}")
        rss = [c["rss_kb"].get(n, -1) for n in node_processes(c)]
        row.append("/".join(f"{r / 1024:.1f}" for r in rss if r >= 0) or "-")
        idle = c["idle"]
        if idle.get("opened"):
            client_side = {p["label"] for p in c["processes"] if p["side"] == "client"}
            per = sum(v for k, v in idle.get("rss_delta_kb", {}).items()
                      if k in client_side and v > 0)
            row.append(f"{per / idle['opened'] * 1000 / 1024:.1f} ({int(idle['opened'])})")
        else:
            row.append("-")
        row.append("FAILED: " + c["failed"] if c["failed"] else "")
        rows.append(row)
    heads = ["case"] + [m[1] for m in METRICS] + ["CPU s/GB", "RSS MB nodes",
                                                  "client MB/1k idle (n)", ""]
    return table(rows, heads)


def ratio_table(cases):
    by = {c["name"]: c for c in cases}
    refs = [r for r in REFERENCES if r in by]
    rows = []
    for c in cases:
        if c["name"] in refs:
            continue
        row = [c["name"]]
        for key in ("mb_s", "mb_s_streams", "rtt_p50_us", "conn_per_s"):
            for r in refs:
                a, b = c[key], by[r][key]
                row.append(f"{a['median'] / b['median']:.2f}" if a and b and b["median"] else "-")
        rows.append(row)
    heads = ["case"]
    for key in ("1-stream", "4-stream", "RTT p50", "conn/s"):
        heads += [f"{key} / {r}" for r in refs]
    return table(rows, heads) if rows else ""


def loss_table(loss_runs):
    names = []
    for run_ in loss_runs:
        for c in run_["cases"]:
            if c["name"] not in names:
                names.append(c["name"])
    rows = []
    for n in names:
        row = [n]
        for run_ in loss_runs:
            c = next((x for x in run_["cases"] if x["name"] == n), None)
            row.append(cell(c["mb_s"], "{:.3f}") if c and c["mb_s"] else "-")
            row.append(cell(c["rtt_p50_us"], "{:.0f}") if c and c["rtt_p50_us"] else "-")
            if c and c["failed"]:
                row[-1] += f" (stopped: {c['failed']})"
        rows.append(row)
    heads = ["case"]
    for run_ in loss_runs:
        heads += [f"{run_['loss_percent']}% loss Gbit/s", f"{run_['loss_percent']}% RTT p50 us"]
    return table(rows, heads)


# ---- plots

def plots(results, out):
    if not have("gnuplot"):
        return ["plots skipped: gnuplot not installed"]
    made = []
    cases = [c for c in results["main"]["cases"] if not c["failed"]]
    title = f"{results['machine']['cpu']}, {results['machine']['cores']} cores, " \
            f"{results['machine']['date_utc']} UTC"

    def bars(name, metrics, ylabel, heading, logscale=False):
        data = os.path.join(out, name + ".dat")
        shown = [c for c in cases if any(c[k] for k, _ in metrics)]
        low = min([c[k]["min"] for c in shown for k, _ in metrics if c[k] and c[k]["min"] > 0]
                  or [1])
        with open(data, "w") as f:
            for c in shown:
                vals = []
                for key, _ in metrics:
                    s = c[key]
                    vals += [s["median"], s["min"], s["max"]] if s else ["NaN"] * 3
                f.write(f"\"{c['name']}\" " + " ".join(str(v) for v in vals) + "\n")
        cols = []
        for i, (_, label) in enumerate(metrics):
            b = 2 + 3 * i
            cols.append(f"'{data}' using {b}:{b + 1}:{b + 2}:xtic(1) title '{label}'")
        script = f"""
set terminal pngcairo size 1000,520 font ',10'
set output '{os.path.join(out, name + '.png')}'
set title "{heading}\\n{{/*0.8 {title}; median, bars min-max}}"
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set ylabel '{ylabel}'
set key top right
set grid ytics
set yrange [{10 ** math.floor(math.log10(low)) if logscale else 0}:*]
{'set logscale y' if logscale else ''}
set xtics rotate by -20
plot {', '.join(cols)}
"""
        r = run(["gnuplot"], input=script, check=False)
        if r.returncode == 0:
            made.append(name + ".png")
        else:
            made.append(f"{name}.png failed: {r.stderr.strip()[:200]}")

    bars("throughput", [("mb_s", "1 stream"), ("mb_s_streams", "4 streams")],
         "Gbit/s (log)", "TCP throughput", logscale=True)
    bars("rtt", [("rtt_p50_us", "p50"), ("rtt_p99_us", "p99")], "microseconds (log)",
         "1-byte TCP round trip", logscale=True)
    bars("setup", [("conn_per_s", "connections/s")], "connections per second (log)",
         "Connection setup rate (connect, 1-byte echo, close)", logscale=True)
    cpu = os.path.join(out, "cpu.dat")
    with open(cpu, "w") as f:
        for c in cases:
            if c["cpu_s_per_gb"]:
                f.write(f"\"{c['name']}\" {c['cpu_s_per_gb']}\n")
    script = f"""
set terminal pngcairo size 1000,480 font ',10'
set output '{os.path.join(out, 'cpu.png')}'
set title "CPU seconds per GB moved (all processes of the case)\\n{{/*0.8 {title}}}"
set style data histograms
set style fill solid 0.7 border -1
set ylabel 'CPU s / GB (log)'
set logscale y
set yrange [0.1:*]
set grid ytics
set xtics rotate by -20
plot '{cpu}' using 2:xtic(1) notitle
"""
    r = run(["gnuplot"], input=script, check=False)
    made.append("cpu.png" if r.returncode == 0 else f"cpu.png failed: {r.stderr.strip()[:200]}")

    if results.get("loss"):
        names = [c["name"] for c in results["loss"][0]["cases"]]
        data = os.path.join(out, "loss.dat")
        rows = [(0, {c["name"]: c for c in results["main"]["cases"]})]
        rows += [(r["loss_percent"], {c["name"]: c for c in r["cases"]}) for r in results["loss"]]
        with open(data, "w") as f:
            for pct, by in rows:
                vals = []
                for n in names:
                    c = by.get(n)
                    vals.append(c["mb_s"]["median"] if c and c["mb_s"] else "NaN")
                f.write(f"{pct} " + " ".join(str(v) for v in vals) + "\n")
        curves = ", ".join(f"'{data}' using 1:{i + 2} with linespoints lw 2 title '{n}'"
                           for i, n in enumerate(names))
        script = f"""
set terminal pngcairo size 1000,520 font ',10'
set output '{os.path.join(out, 'loss.png')}'
set title "One-stream TCP throughput under random packet loss (nftables drop)\\n{{/*0.8 {title}; median}}"
set xlabel 'packets dropped, %'
set ylabel 'Gbit/s (log)'
set logscale y
set grid
set key top right
set xtics (0, 1, 5)
plot {curves}
"""
        r = run(["gnuplot"], input=script, check=False)
        made.append("loss.png" if r.returncode == 0 else f"loss.png failed: {r.stderr.strip()[:200]}")
    for f in os.listdir(out):
        if f.endswith(".dat"):
            os.unlink(os.path.join(out, f))
    return made


# ---- the suite

def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default="build/release", help="where bench/ binaries are")
    p.add_argument("--engine", help="weft-intercept-bench (default BUILD/bench/weft-intercept-bench)")
    p.add_argument("--out", help="results directory (default BUILD/bench-results/DATE)")
    p.add_argument("--reps", type=int, default=5, help="repetitions of each measurement")
    p.add_argument("--bytes", type=int, default=128 << 20, help="bytes per transfer")
    p.add_argument("--loss", default="1,5", help="loss rates in %%, comma-separated ('' for none)")
    p.add_argument("--no-pin", action="store_true",
                   help="leave processes unpinned (default: client side CPU 0, server side CPU 1)")
    p.add_argument("--smoke", action="store_true", help="tiny sizes, 1 repetition (the ctest)")
    return p.parse_args()


def main():
    args = parse()
    t_start = time.monotonic()
    engine_path = args.engine or os.path.join(args.build_dir, "bench", "weft-intercept-bench")
    if not os.access(engine_path, os.X_OK):
        log(f"no {engine_path}: build it first (scripts/bench.sh does)")
        return 1
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d-%H%M%S")
    out = args.out or os.path.join(args.build_dir, "bench-results", stamp)
    os.makedirs(out, exist_ok=True)
    if args.smoke:
        reps, nbytes, rtt, conns, idle, ttfb, streams = 1, 1 << 20, 50, 10, 10, 1, 4
        loss_rates = [1]
        loss_seconds, loss_rtt = 0.5, 20
    else:
        reps, nbytes, rtt, conns, idle, ttfb, streams = args.reps, args.bytes, 2000, 200, 1000, 5, 4
        loss_rates = [float(x) for x in args.loss.split(",") if x.strip()]
        loss_seconds, loss_rtt = 3.0, 50
    loss_rates = [int(x) if float(x).is_integer() else x for x in loss_rates]

    results = {"machine": machine(), "skipped": {}, "suite": {
        "reps": reps, "bytes": nbytes, "rtt_count": rtt, "connections": conns, "idle": idle,
        "ttfb": ttfb, "streams": streams, "loss_seconds": loss_seconds, "loss_rates": loss_rates,
        "smoke": args.smoke}}
    m = results["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores; kernel {m['kernel']}; TCP congestion control "
          f"{m['congestion_control']}; load average {m['load_average_start']}; commit {m['commit']}")
    if args.no_pin or (m["cores"] or 1) < 2:
        m["pinning"] = "none: processes unpinned"
    print(f"pinning: {m['pinning']}")
    sys.stdout.flush()

    root = os.geteuid() == 0 and have(IP)
    missing = [t for t in ("wireguard-go", "wg") if not have(t)]
    if not root:
        for name in ("veth", "wireguard-go", "tap", "loss"):
            results["skipped"][name] = "needs root and ip(8) (network namespaces)"
    elif missing:
        results["skipped"]["wireguard-go"] = "not installed: " + ", ".join(missing)
    if root and not have("nft"):
        results["skipped"]["loss"] = "nft (nftables) not installed"
    if root and not os.path.exists("/dev/net/tun"):
        results["skipped"]["tap"] = "no /dev/net/tun"
        results["skipped"].setdefault("wireguard-go", "no /dev/net/tun")

    engine = Engine(os.path.abspath(engine_path), os.path.join(out, "engine.log"))
    nss = None
    interrupted = []

    def on_signal(signum, _frame):
        interrupted.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        prefix = []
        refs = []
        pin = ["--pin"] if (os.cpu_count() or 1) >= 2 and not args.no_pin else []
        cases = ["intercept", "sdk", "fd", "kernel"]
        if root:
            nss = Namespaces(with_wireguard="wireguard-go" not in results["skipped"],
                             pin=bool(pin))
            prefix = [IP, "netns", "exec", nss.m]
            refs = ["--ref", f"veth:{nss.a}:{nss.b}:{VETH_NET}.1"]
            if "wireguard-go" not in results["skipped"]:
                pids = ",".join(f"{k}={v}" for k, v in nss.wg_pids().items())
                refs += ["--ref", f"wireguard-go:{nss.a}:{nss.b}:{WG_NET}.1:{pids}"]
            if "tap" not in results["skipped"]:
                cases.insert(3, "tap")
        iperf3 = []
        if not have("iperf3"):
            results["skipped"]["iperf3"] = "iperf3 not installed"
        elif not args.smoke:
            iperf3 = ["--iperf3", str(max(1, min(reps, 3)))]
        main_args = ["--cases", ",".join(cases), *refs, *iperf3, "--runs", str(reps),
                     "--bytes", str(nbytes),
                     "--rtt-count", str(rtt), "--streams", str(streams), "--connections",
                     str(conns), "--idle", str(idle), "--ttfb", str(ttfb), "--timeout", "120",
                     *pin]
        results["main"] = engine.run(prefix, main_args, timeout=900)
        results["loss"] = []
        if root and "loss" not in results["skipped"]:
            loss_cases = [c for c in ("intercept", "sdk", "kernel") if c in cases]
            if args.smoke:
                # Weft's TCP under loss waits out retransmission timeouts of a
                # second or more: too slow for a smoke test, which only checks
                # that the loss machinery works.
                loss_cases = ["kernel"]
            for pct in loss_rates:
                nss.set_loss(pct)
                try:
                    r = engine.run(prefix, ["--cases", ",".join(loss_cases), *refs, "--runs",
                                            str(max(1, min(reps, 3))), "--seconds",
                                            str(loss_seconds), "--rtt-count", str(loss_rtt),
                                            "--timeout", "60", *pin],
                                   timeout=600)
                finally:
                    nss.set_loss(0)
                r["loss_percent"] = pct
                results["loss"].append(r)
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        return 130
    finally:
        engine.stop()
        if nss is not None:
            nss.close()

    results["main"]["cases"] = [summarize(c) for c in results["main"]["cases"]]
    for r in results["loss"]:
        r["cases"] = [summarize(c) for c in r["cases"]]
    results["machine"]["load_average_end"] = read("/proc/loadavg")
    results["plots"] = [] if args.smoke and not have("gnuplot") else plots(results, out)
    results["total_seconds"] = round(time.monotonic() - t_start, 1)

    print()
    print(f"One-stream and {streams}-stream throughput, 1-byte round trip, connection setup, "
          f"start to first byte: median (min-max) of {reps} repetition(s); CPU s per GB over "
          f"all of a case's processes; RSS of the processes carrying the nodes or tunnel ends "
          f"(client side first; for kernel cases the bench programs); "
          f"RSS the client side (the process holding the connections, its weftd or wireguard-go) "
          f"gains per 1,000 idle connections (kernel socket memory is not RSS; the server "
          f"side's thread per connection is the bench's own cost, in results.json).")
    print(main_table(results["main"]["cases"]))
    by = {c["name"]: c for c in results["main"]["cases"]}
    if by.get("intercept-iperf3", {}).get("mb_s") and by.get("kernel-iperf3", {}).get("mb_s"):
        print(f"\niperf3 (unmodified) through the intercept / over loopback: "
              f"{by['intercept-iperf3']['mb_s']['median'] / by['kernel-iperf3']['mb_s']['median']:.2f}")
    rt = ratio_table(results["main"]["cases"])
    if rt:
        print("\nRatios of medians, scenario / reference (throughput and conn/s: higher is better; "
              "RTT: lower is better):")
        print(rt)
    if results["loss"]:
        print(f"\nUnder random loss (one stream for {loss_seconds:g} s, "
              f"{results['loss'][0]['runs']} repetitions):")
        print(loss_table(results["loss"]))
    for name, why in results["skipped"].items():
        print(f"skipped: {name}: {why}")
    print(f"\nload average: start {m['load_average_start']}, end {m['load_average_end']} "
          f"(other work on these CPUs makes every figure noisier)")
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    print(f"results: {os.path.join(out, 'results.json')}")
    for p in results["plots"]:
        print(f"plot: {p if ' ' in p else os.path.join(out, p)}")
    print(f"suite total: {results['total_seconds']:.0f} s")
    failed = [c["name"] for c in results["main"]["cases"] if c["failed"]]
    return 1 if args.smoke and failed else 0


if __name__ == "__main__":
    sys.exit(main())
