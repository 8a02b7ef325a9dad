#!/usr/bin/env python3
"""Turns a serverpush-bench JSON file into the ratio table and the plot.

  report.py RESULTS.json [--markdown OUT.md] [--readme README.md] [--plot OUT.png]
  report.py --check RESULTS.json     (smoke runs: every case ran, none failed)

Every ratio compares cases of the same run, from their medians (or the single
run when there were no repetitions). The table needs only the standard
library; the plot needs matplotlib.
"""

import argparse
import json
import re
import sys

SIZES = [64, 1024, 16384, 102400, 1048576]
SIZE_LABEL = {64: "64 B", 1024: "1 KiB", 16384: "16 KiB", 102400: "100 KiB", 1048576: "1 MiB"}
FD_SINKS = ["socketpair", "pipe", "devnull"]
NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load(path):
    with open(path) as f:
        data = json.load(f)
    rows = {}
    have_aggregates = any(b.get("run_type") == "aggregate" for b in data["benchmarks"])
    for b in data["benchmarks"]:
        if have_aggregates and b.get("aggregate_name") != "median":
            continue
        name = re.sub(r"/(real_time|process_time|manual_time)$", "", b.get("run_name", b["name"]))
        rows[name] = {
            "ns": b["real_time"] * NS[b.get("time_unit", "ns")],
            "bps": b.get("bytes_per_second"),
            "allocs": b.get("allocs_per_part"),
            "syscalls": b.get("syscalls_per_part"),
            "kernel_syscalls": b.get("kernel_syscalls_per_part"),
            "error": b.get("error_occurred", False),
        }
    return data, rows


def split(name):
    """'writer/sink/size' -> (writer, sink, size); other names -> (name, None, None)."""
    parts = name.split("/")
    if len(parts) == 3 and parts[2].isdigit():
        return parts[0], parts[1], int(parts[2])
    return name, None, None


def get(rows, writer, sink, size):
    return rows.get(f"{writer}/{sink}/{size}")


def fmt(x, digits=2):
    if x is None:
        return "n/a"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def verdict(ok):
    return "met" if ok else "**missed**"


def targets(rows):
    """[(target, measured, verdict)] for the goals the benchmarks check."""
    out = []

    def ns(w, s, n):
        r = get(rows, w, s, n)
        return r["ns"] if r else None

    base = ns("raw_memcpy", "memory", 64)
    for writer, sink in [("serverpush_cl", "counting"), ("serverpush_cl", "memory"),
                         ("serverpush_an", "counting"), ("serverpush_an", "memory")]:
        t = ns(writer, sink, 64)
        if t is None or base is None:
            continue
        over = t - base
        out.append((f"framing overhead, 64 B parts, {writer} to {sink} minus raw memcpy <= 25 ns",
                    f"{fmt(over, 1)} ns ({fmt(t, 1)} - {fmt(base, 1)})", verdict(over <= 25)))

    for writer in ["serverpush_cl", "serverpush_an"]:
        ratios = []
        for n in SIZES[2:]:
            a, b = get(rows, writer, "memory", n), get(rows, "raw_memcpy", "memory", n)
            if a and b and a["bps"] and b["bps"]:
                ratios.append((n, a["bps"] / b["bps"]))
        if ratios:
            worst = min(r for _, r in ratios)
            shown = ", ".join(f"{SIZE_LABEL[n]} {r:.2f}" for n, r in ratios)
            out.append((f">= 16 KiB, {writer} to memory >= 0.95 x raw memcpy throughput", shown,
                        verdict(worst >= 0.95)))

    for writer in ["serverpush_cl", "serverpush_an"]:
        for sink in FD_SINKS:
            ratios, calls, kcalls = [], [], []
            for n in SIZES[2:]:
                a, b = get(rows, writer, sink, n), get(rows, "raw_writev", sink, n)
                if a and b and a["bps"] and b["bps"]:
                    ratios.append((n, a["bps"] / b["bps"]))
                    calls.append(a["syscalls"])
                    kcalls.append(a["kernel_syscalls"])
            if not ratios:
                continue
            worst = min(r for _, r in ratios)
            one_call = all(c is not None and abs(c - 1) < 1e-3 for c in calls)
            kernel = ""
            if all(k is not None for k in kcalls):
                one_call = one_call and all(abs(k - 1) < 1e-2 for k in kcalls)
                kernel = f"; kernel syscalls/part {max(kcalls):.2f}"
            shown = ", ".join(f"{SIZE_LABEL[n]} {r:.2f}" for n, r in ratios)
            shown += f"; Io syscalls/part {max(c for c in calls if c is not None):.2f}{kernel}"
            out.append((f">= 16 KiB, {writer} to {sink} >= 0.97 x raw writev, 1 syscall per part",
                        shown, verdict(worst >= 0.97 and one_call)))

    allocs = [(k, r["allocs"]) for k, r in rows.items()
              if k.startswith("serverpush_") and r["allocs"] is not None]
    if allocs:
        worst = max(a for _, a in allocs)
        out.append(("0 heap allocations per part (every serverpush case)",
                    f"max {worst:g} over {len(allocs)} cases", verdict(worst == 0)))

    for peer, peer_sink, own_sink, goal in [("poco", "ostream", "ostream", 10),
                                            ("poco", "ostream", "memory", 10),
                                            ("hand_rolled", "memory", "memory", 3),
                                            ("ffmpeg_mpjpeg", "memory", "memory", None)]:
        shown, ok = [], True
        for n in SIZES[:2]:
            p, s = ns(peer, peer_sink, n), ns("serverpush_cl", own_sink, n)
            if p is None or s is None:
                continue
            shown.append(f"{SIZE_LABEL[n]} {p / s:.1f}x")
            ok = ok and goal is not None and p / s >= goal
        if not shown:
            continue
        label = f"small parts, {peer} ({peer_sink}) / serverpush_cl ({own_sink}) time"
        if goal is None:
            out.append((label + " (no target)", ", ".join(shown), "-"))
        else:
            out.append((label + f" >= {goal}x", ", ".join(shown), verdict(ok)))
    return out


def machine(data):
    ctx = data.get("context", {})
    return (f"{ctx.get('cpu_model', 'unknown CPU')}, nproc {ctx.get('nproc', ctx.get('num_cpus', '?'))}, "
            f"{ctx.get('compiler', 'unknown compiler')}, {ctx.get('library_build_type', '?')} "
            f"Google Benchmark library, run {ctx.get('date', '?')}, load average before the run "
            f"{ctx.get('load_before', '?')}")


def markdown(data, rows):
    lines = [f"Machine: {machine(data)}.", ""]
    lines += ["| target | measured (medians, one run) | |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {v} |" for t, m, v in targets(rows)]
    lines += ["", "Nanoseconds per part (median wall time; one part per iteration), "
              "heap allocations per part, system calls per part (counting Io / kernel):", ""]
    lines.append("| case | " + " | ".join(SIZE_LABEL[n] for n in SIZES) + " | allocs | syscalls |")
    lines.append("|---|" + "---|" * (len(SIZES) + 2))
    cases, others = [], []
    for name in rows:
        w, s, n = split(name)
        if s is None:
            others.append(name)
        elif (w, s) not in cases:
            cases.append((w, s))
    writers = ["raw_memcpy", "raw_writev", "serverpush_cl", "serverpush_an", "hand_rolled",
               "poco", "ffmpeg_mpjpeg"]
    sinks = ["memory", "counting", "ostream"] + FD_SINKS
    cases.sort(key=lambda c: (writers.index(c[0]) if c[0] in writers else len(writers),
                              sinks.index(c[1]) if c[1] in sinks else len(sinks), c))
    others.sort()
    for w, s in cases:
        cells, allocs, calls = [], set(), set()
        for n in SIZES:
            r = get(rows, w, s, n)
            cells.append(fmt(r["ns"], 1) if r else "-")
            if r and r["allocs"] is not None:
                allocs.add(round(r["allocs"], 2))
            if r and r["syscalls"] is not None:
                k = r["kernel_syscalls"]
                calls.add(f"{r['syscalls']:g}" + (f" / {k:g}" if k is not None else ""))
        lines.append(f"| {w}/{s} | " + " | ".join(cells) +
                     f" | {', '.join(f'{a:g}' for a in sorted(allocs)) or '-'}"
                     f" | {', '.join(sorted(calls)) or '-'} |")
    if others:
        lines += ["", "| other case | ns | allocs | syscalls |", "|---|---|---|---|"]
        for name in others:
            r = rows[name]
            lines.append(f"| {name} | {fmt(r['ns'], 1)} | {fmt(r['allocs'])} | {fmt(r['syscalls'])} |")
    return "\n".join(lines) + "\n"


PANELS = [
    ("to memory", lambda w, s: s in ("memory", "counting", "ostream")),
    ("to a socketpair (reader thread)", lambda w, s: s == "socketpair"),
    ("to a pipe (reader thread)", lambda w, s: s == "pipe"),
    ("to /dev/null", lambda w, s: s == "devnull"),
]


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = {}
    for name, r in rows.items():
        w, s, n = split(name)
        if s is None or not r["bps"]:
            continue
        series.setdefault((w, s), []).append((n, r["bps"] / 1e9))
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    for ax, (title, keep) in zip(axes.flat, PANELS):
        for (w, s), points in sorted(series.items()):
            if not keep(w, s):
                continue
            points.sort()
            # The limits in black dashes; the counting sink copies nothing, dotted.
            extra = {"color": "black", "linestyle": "--"} if w.startswith("raw_") else {}
            if s == "counting":
                extra = {"linestyle": ":"}
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=3,
                    label=f"{w} ({s})" if title == "to memory" else w, **extra)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(SIZES)
        ax.set_xticklabels([SIZE_LABEL[n] for n in SIZES])
        ax.set_title(title)
        ax.set_xlabel("part size")
        ax.set_ylabel("payload GB/s (median)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("serverpush-bench: throughput vs part size (one part per iteration)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def replace_section(readme, text):
    with open(readme) as f:
        doc = f.read()
    begin, end = "<!-- results:begin -->", "<!-- results:end -->"
    if begin not in doc or end not in doc:
        print(f"report.py: no {begin} ... {end} section in {readme}, left as is", file=sys.stderr)
        return
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(readme, "w") as f:
        f.write(head + begin + "\n" + text + end + tail)


def check(path):
    data, rows = load(path)
    failed = [k for k, r in rows.items() if r["error"]]
    for b in data["benchmarks"]:
        if b.get("error_occurred"):
            print(f"FAILED {b['name']}: {b.get('error_message', '')}", file=sys.stderr)
    if not rows:
        print("report.py: no benchmark ran", file=sys.stderr)
        return 1
    print(f"report.py: {len(rows)} cases ran, {len(failed)} failed")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--markdown")
    ap.add_argument("--readme")
    ap.add_argument("--plot")
    args = ap.parse_args()
    if args.check:
        return check(args.results)
    data, rows = load(args.results)
    text = markdown(data, rows)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    if args.readme:
        replace_section(args.readme, text)
    if args.plot:
        try:
            plot(rows, args.plot)
        except ImportError:
            print("report.py: matplotlib missing (Debian: python3-matplotlib), no plot",
                  file=sys.stderr)
    return 1 if any(r["error"] for r in rows.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
