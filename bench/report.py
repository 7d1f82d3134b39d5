"""Turns bench/results/*.txt into BENCHMARKS.md (stdout) and bench/chart.svg.

Each result file holds wrk's output plus the lines post.lua prints (RPS, P50, P99 in
microseconds, BAD, ERR, REQ), the server's peak RSS (RSS_KB) and, for the first round,
the SQL statements per request (STATEMENTS) and, for ours, the viewer cache's syncs in
the round (SYNCS: one trivial statement per batch of requests, on its own connection), and
the CPU seconds the server's process and PostgreSQL's processes spent in the round (CPU_S,
PG_CPU_S, from /proc).
"""
import glob
import json
import os
import platform
import re
import statistics
import subprocess
import sys
from datetime import datetime, timezone

OUT = sys.argv[1]
PG = sys.argv[2]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(label):
    runs = []
    for path in sorted(glob.glob(os.path.join(OUT, f"{label}-[0-9]*.txt"))):
        values = {}
        for line in open(path):
            m = re.match(r"^(RPS|P50|P99|BAD|ERR|REQ|RSS_KB|STATEMENTS|SYNCS|CPU_S|PG_CPU_S|OFFERED) (\S+)$", line.strip())
            if m:
                values[m.group(1)] = float(m.group(2))
        runs.append(values)
    return runs


def summary(label):
    runs = read(label)
    if not runs:
        return None
    med = lambda key: statistics.median(r.get(key, 0) for r in runs)
    return {
        "rounds": len(runs),
        "rps": med("RPS"),
        "rps_each": [r.get("RPS", 0) for r in runs],
        "p50": med("P50") / 1000,
        "p99": med("P99") / 1000,
        "bad": sum(r.get("BAD", 0) + r.get("ERR", 0) for r in runs),
        "rss": max(r.get("RSS_KB", 0) for r in runs) / 1024,
        "statements": next((r["STATEMENTS"] for r in runs if "STATEMENTS" in r), None),
        "syncs": per_request(runs, "SYNCS"),
        "cpu_ms": ms(per_request(runs, "CPU_S")),
        "pg_ms": ms(per_request(runs, "PG_CPU_S")),
        "offered": next((r["OFFERED"] for r in runs if "OFFERED" in r), None),
    }


def per_request(runs, key):
    """`key` per request over the rounds that measured it (None when none did)."""
    measured = [r for r in runs if key in r and r.get("REQ")]
    if not measured:
        return None
    return sum(r[key] for r in measured) / sum(r["REQ"] for r in measured)


def ms(seconds):
    return None if seconds is None else seconds * 1000


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:
        return "?"


ops = [
    ("page", "Sub-accounts page: 50 rows, every column, `services(first: 10) { tariff }`, `tickets(first: 5)`", "list"),
    ("pagedocs", "Aggregated sub-accounts with `documents(first: 3)` and `orders(first: 3)`", "list"),
    ("nested", "50 sub-accounts × `tickets(first: 3)` × `messages(first: 5)` (lists two deep)", "list"),
    ("first3", "`subAccounts(first: 3)` with `services(first: 3)` (a phone's first screen)", "list"),
    ("first100", "`subAccounts(first: 100)`, flat columns and totals", "list"),
    ("aliases", "20 sub-accounts, `services` twice under aliases (first 3, first 20), fragments", "list"),
    ("sizes", "Pages of 1 to 100 sub-accounts (one size per request) with `services(first: 3)`, `tickets(first: 2)`", "list"),
    ("byid", "One account by id with its services", "object"),
    ("byidtickets", "One account by id with its services and tickets", "object"),
    ("order", "One order with its items, tariffs, invoice and lines", "object"),
    ("ticket", "One ticket with its messages", "object"),
    ("usage", "A sub-account's Internet usage for a month by day (peer: the month's sessions)", "object"),
]
rows = []
for op, title, _ in ops:
    rows.append((op, title, summary(f"{op}-ours"), summary(f"{op}-peer")))
fixed = {op: (summary(f"fixed-{op}-ours"), summary(f"fixed-{op}-peer")) for op, _, _ in ops}
floors = {op: (summary(f"floor-{op}-ours"), summary(f"floor-{op}-peer")) for op, _, _ in ops}
http_ours, http_node = summary("http-ours"), summary("http-node")
shape = {op: kind for op, _, kind in ops}


def billing(label):
    path = os.path.join(OUT, f"{label}.txt")
    if not os.path.exists(path):
        return None
    m = re.search(r"Billed (.*?): (\d+) invoices issued \((\d+) unpaid\).*?(\d+) payers failed; ([\d.]+) s, (\d+) invoices/s with (\d+)",
                  open(path).read())
    if not m:
        return None
    return {"month": m.group(1), "invoices": int(m.group(2)), "failed": int(m.group(4)),
            "seconds": float(m.group(5)), "rate": int(m.group(6)), "workers": int(m.group(7))}


bills = [(name, billing(label)) for name, label in (
    ("small database, 1 worker", "billing-small-1worker"),
    ("small database, 8 workers", "billing-small-8workers"),
    ("large database, 8 workers", "billing-large-8workers"))]
mutation = summary("mutation-ours")
small, large = summary("growth-small"), summary("growth-large")


def seed_line(db):
    path = os.path.join(OUT, f"seed-{db}.txt")
    if not os.path.exists(path):
        return "(reused from an earlier run)"
    text = open(path).read()
    gen = re.search(r"Generated (.*?) in", text)
    secs = re.search(r"seconds (\d+)", text)
    return f"{gen.group(1) if gen else '?'}; {secs.group(1) if secs else '?'} s"


def fmt(x, digits=1):
    return "—" if x is None else f"{x:,.{digits}f}"


print("# Benchmarks\n")
# When the run ended (its newest result), not when this report was written.
ended = max(os.path.getmtime(os.path.join(OUT, f)) for f in os.listdir(OUT) if f.endswith(".txt"))
print(f"Measured {datetime.fromtimestamp(ended, timezone.utc):%Y-%m-%d %H:%M} UTC by `bench/run.sh` (one command; see the README).\n")
print("## Machine and versions\n")
CPU = sh("lscpu | sed -n 's/^Model name: *//p'")
RAM = sh("free -g | awk '/Mem:/ {print $2}'")
RUSTC = sh("rustc --version")
PGL = json.load(open(os.path.join(ROOT, "bench/node_modules/postgraphile/package.json")))["version"]
NODEV = sh("bench/node_modules/.bin/node --version")
PGV = sh(f"psql -Atq {PG}/postgres -c 'show server_version'")
WRK = sh("wrk --version 2>&1 | head -1")
print(f"- CPU: {CPU}, {os.cpu_count()} cores, {RAM} GiB RAM, {platform.system()} {platform.release()}")
print(f"- portal-api: release build, {RUSTC}")
print(f"- PostGraphile {PGL} (Amber preset, `NODE_ENV=production`) on Node {NODEV}")
print(f"- PostgreSQL {PGV}; load generator: {WRK}")
print("- Everything on the same machine: the database, both servers and wrk share the cores.\n")
print("## Data\n")
print(f"- Large database (all side-by-side figures): {seed_line('portal_bench_large')}")
print(f"- Small database (growth only): {seed_line('portal_bench_small')}\n")
print("The lists and the by-id reads ask for the first generated main account (`bench-m000001`) "
      "as that customer, with its management switch on; PostGraphile has no "
      "authorization and answers the equivalent query over the same tables. Ours also computes "
      "per row the active-services count and monthly total, and the viewer's capabilities.\n")
print("PostGraphile runs as its documentation runs it in production: one worker per core under "
      "Node's cluster module (`bench/peer.mjs`); its CPU and memory are those of all its processes.\n")
print("## Side by side, saturated (wrk, 2 threads × 32 connections, 10 s per round, rounds alternating ours/PostGraphile; medians)\n")
print("| operation | server | requests/s | p50 ms | p99 ms | errors | peak RSS MiB | SQL statements / request | viewer syncs / request under load |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for op, title, ours, peer in rows:
    for name, s in (("portal-api", ours), ("PostGraphile 5", peer)):
        if s:
            print(f"| {title} | {name} | {fmt(s['rps'], 0)} | {fmt(s['p50'], 2)} | {fmt(s['p99'], 2)} | "
                  f"{int(s['bad'])} | {fmt(s['rss'])} | {fmt(s['statements'], 0) if s['statements'] is not None else 'n/a'} | "
                  f"{fmt(s['syncs'], 3) if s['syncs'] is not None else 'n/a'} |")
print()
print("SQL statements / request are counted on the pool, one request at a time; the viewer "
      "cache's syncs (an empty query on the listener's own connection, one per batch of requests "
      "that arrived while the previous one ran: `auth::cache`) are counted apart, under load.\n")
print("| operation | requests/s ours ÷ PostGraphile | p99 ours ÷ PostGraphile |")
print("|---|---:|---:|")
for op, title, ours, peer in rows:
    if ours and peer and peer["rps"] and peer["p99"]:
        print(f"| {title} | **{ours['rps'] / peer['rps']:.2f}×** | {ours['p99'] / peer['p99']:.2f}× |")
print()
if any(ours and ours["cpu_ms"] is not None for _, _, ours, _ in rows):
    print("CPU per request, in milliseconds, over the rounds (from /proc: the server's process, "
          "and every PostgreSQL process, which runs its statements); both servers, PostgreSQL and "
          "wrk share the machine's cores:\n")
    print("| operation | portal-api | its PostgreSQL | PostGraphile | its PostgreSQL | total ours ÷ PostGraphile |")
    print("|---|---:|---:|---:|---:|---:|")
    for op, title, ours, peer in rows:
        if ours and peer and None not in (ours["cpu_ms"], ours["pg_ms"], peer["cpu_ms"], peer["pg_ms"]):
            total = (ours["cpu_ms"] + ours["pg_ms"]) / max(1e-9, peer["cpu_ms"] + peer["pg_ms"])
            print(f"| {title} | {ours['cpu_ms']:.2f} | {ours['pg_ms']:.2f} | {peer['cpu_ms']:.2f} | "
                  f"{peer['pg_ms']:.2f} | {total:.2f}× |")
    print()
if any(o and p for o, p in fixed.values()):
    print("## At a fixed rate both sustain (half the slower server's saturated rate, 16 connections, 10 s)\n")
    print("| operation | offered req/s | ours: achieved req/s | p50 ms | p99 ms | PostGraphile: achieved req/s | p50 ms | p99 ms | p99 ours ÷ PostGraphile |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for op, title, _ in ops:
        o, p = fixed[op]
        if o and p:
            print(f"| {op} | {fmt(o['offered'], 0)} | {fmt(o['rps'], 0)} | {fmt(o['p50'], 2)} | {fmt(o['p99'], 2)} | "
                  f"{fmt(p['rps'], 0)} | {fmt(p['p50'], 2)} | {fmt(p['p99'], 2)} | **{o['p99'] / max(p['p99'], 1e-9):.2f}×** |")
    print()
if any(o and p for o, p in floors.values()):
    print("## The physical limit\n")
    print("PostgreSQL alone: the statements each server sent for one request (captured from "
          "PostgreSQL's log with `log_statement = all`, parameters written in: `bench/floor.py`), "
          "replayed by `pgbench` with 32 clients for 10 s. The floor's CPU is "
          "PostgreSQL's per replayed request; a server's total is its own CPU plus its "
          "PostgreSQL's, per request, from the saturated rounds.\n")
    print("| operation | ours: statements | pgbench req/s | floor CPU ms | our total CPU ms | ours ÷ floor | PostGraphile: statements | pgbench req/s | floor CPU ms | its total CPU ms | PostGraphile ÷ floor |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for op, title, ours, peer in rows:
        fo, fp = floors[op]
        if not (fo and fp and ours and peer) or None in (fo["pg_ms"], fp["pg_ms"], ours["cpu_ms"], peer["cpu_ms"]):
            continue
        to, tp = ours["cpu_ms"] + ours["pg_ms"], peer["cpu_ms"] + peer["pg_ms"]
        print(f"| {op} | {fmt(fo['statements'], 0)} | {fmt(fo['rps'], 0)} | {fo['pg_ms']:.2f} | {to:.2f} | **{to / max(fo['pg_ms'], 1e-9):.2f}×** | "
              f"{fmt(fp['statements'], 0)} | {fmt(fp['rps'], 0)} | {fp['pg_ms']:.2f} | {tp:.2f} | {tp / max(fp['pg_ms'], 1e-9):.2f}× |")
    print()
if http_ours and http_node:
    print("Plain HTTP, no database (wrk, 32 connections, `GET`): our `/healthz` "
          f"{fmt(http_ours['rps'], 0)} req/s at {fmt(http_ours['cpu_ms'], 3)} ms CPU per request; "
          f"a Node cluster answering a fixed body {fmt(http_node['rps'], 0)} req/s at "
          f"{fmt(http_node['cpu_ms'], 3)} ms. wrk itself shares the two cores.\n")
print("Requests/s per round (ours | PostGraphile):\n")
for op, title, ours, peer in rows:
    if ours and peer:
        print(f"- {op}: {', '.join(fmt(x, 0) for x in ours['rps_each'])} | {', '.join(fmt(x, 0) for x in peer['rps_each'])}")
print()
if mutation:
    print("## Mutation path (ours only)\n")
    print("One request = `pauseService` then `resumeService` on one of 2,000 active services "
          "(two transactions, activity history, pause records), as an admin.\n")
    print("| requests/s | p50 ms | p99 ms | errors | peak RSS MiB | SQL statements / request |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {fmt(mutation['rps'], 0)} | {fmt(mutation['p50'], 2)} | {fmt(mutation['p99'], 2)} | {int(mutation['bad'])} | "
          f"{fmt(mutation['rss'])} | {fmt(mutation['statements'], 0)} |\n")
if small and large:
    print("## Growth: the same page on the small and the large database\n")
    print("| database | requests/s | p50 ms | p99 ms | SQL statements / request |")
    print("|---|---:|---:|---:|---:|")
    for name, s in (("small", small), ("large", large)):
        print(f"| {name} | {fmt(s['rps'], 0)} | {fmt(s['p50'], 2)} | {fmt(s['p99'], 2)} | {fmt(s['statements'], 0)} |")
    print(f"\nLatency ratio large ÷ small: **p50 {large['p50'] / small['p50']:.2f}×**, p99 {large['p99'] / small['p99']:.2f}× "
          f"(throughput ratio {large['rps'] / small['rps']:.2f}×).\n")
if any(b for _, b in bills):
    print("## Billing run (`portal-api bill --month`, each payer in its own transaction)\n")
    print("| run | month | invoices issued | payers failed | seconds | invoices (payers billed) / s |")
    print("|---|---|---:|---:|---:|---:|")
    for name, b in bills:
        if b:
            print(f"| {name} | {b['month']} | {b['invoices']:,} | {b['failed']} | {b['seconds']:.1f} | {b['rate']:,} |")
    one, eight = bills[0][1], bills[1][1]
    if one and eight and one["rate"]:
        print(f"\n8 workers ÷ 1 worker on the same database: **{eight['rate'] / one['rate']:.2f}×**.\n")
print("![throughput and p99 per operation](bench/chart.svg)\n")

# --- targets -------------------------------------------------------------------------------


def verdict(ok):
    return "met" if ok else "**missed**"


print("## Targets\n")
print("| target | measured | |")
print("|---|---|---|")
for op, title, ours, peer in rows:
    if not (ours and peer and peer["rps"]):
        continue
    need = 2.0 if shape[op] == "list" else 1.2
    ratio = ours["rps"] / peer["rps"]
    print(f"| {op}: ≥ {need:g}× PostGraphile's requests/s | {ratio:.2f}× | {verdict(ratio >= need)} |")
    print(f"| {op}: lower p99 | {ours['p99']:.1f} ms vs {peer['p99']:.1f} ms | {verdict(ours['p99'] < peer['p99'])} |")
    print(f"| {op}: 0 errors | {int(ours['bad'])} | {verdict(ours['bad'] == 0)} |")
for op, title, ours, peer in rows:
    o, p = fixed[op]
    if o and p:
        print(f"| {op}: lower p99 at a fixed rate | {o['p99']:.1f} ms vs {p['p99']:.1f} ms | {verdict(o['p99'] < p['p99'])} |")
    fo = floors[op][0]
    if shape[op] == "list" and fo and ours and None not in (fo["pg_ms"], ours["cpu_ms"], ours["pg_ms"]):
        r = (ours["cpu_ms"] + ours["pg_ms"]) / max(fo["pg_ms"], 1e-9)
        print(f"| {op}: total CPU per request within 2× of the pgbench floor | {r:.2f}× | {verdict(r <= 2)} |")
peak = max((ours["rss"] for _, _, ours, _ in rows if ours), default=None)
if peak is not None:
    print(f"| peak RSS under load ≤ 64 MiB | {peak:.1f} MiB | {verdict(peak <= 64)} |")
if small and large:
    g = large["p50"] / small["p50"]
    print(f"| page latency on the large database within 1.2× of the small | {g:.2f}× (p50) | {verdict(g <= 1.2)} |")
    print(f"| statements per operation unchanged by data size | {fmt(small['statements'], 0)} and {fmt(large['statements'], 0)} | "
          f"{verdict(small['statements'] == large['statements'])} |")
large_bill = bills[2][1]
if large_bill:
    print(f"| billing ≥ 200 payers/s on PostgreSQL (large database) | {large_bill['rate']:,}/s | {verdict(large_bill['rate'] >= 200)} |")
print()
print(open(os.path.join(ROOT, "bench", "ANALYSIS.md")).read())

# --- chart -------------------------------------------------------------------------------
bars = [(op, ours, peer) for op, _, ours, peer in rows if ours and peer]
if mutation:
    bars.append(("mutation", mutation, None))
W, H, PAD = 760, 320, 50
panel_w = (W - 3 * PAD) / 2
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>']
for p, (key, title) in enumerate((("rps", "requests/s (higher is better)"), ("p99", "p99 latency, ms (lower is better)"))):
    x0 = PAD + p * (panel_w + PAD)
    top = max([max(b[1][key], b[2][key] if b[2] else 0) for b in bars] + [1])
    svg.append(f'<text x="{x0}" y="20" font-weight="bold">{title}</text>')
    svg.append(f'<line x1="{x0}" y1="{H - 40}" x2="{x0 + panel_w}" y2="{H - 40}" stroke="#333"/>')
    group = panel_w / len(bars)
    for i, (op, ours, peer) in enumerate(bars):
        for j, (s, colour) in enumerate(((ours, "#2b7bb9"), (peer, "#e0803a"))):
            if not s:
                continue
            h = (H - 80) * s[key] / top
            x = x0 + i * group + 8 + j * (group - 16) / 2
            w = (group - 16) / 2 - 4
            svg.append(f'<rect x="{x:.1f}" y="{H - 40 - h:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colour}"/>')
            svg.append(f'<text x="{x + w / 2:.1f}" y="{H - 44 - h:.1f}" text-anchor="middle" font-size="10">{s[key]:,.0f}</text>'
                       if key == "rps" else
                       f'<text x="{x + w / 2:.1f}" y="{H - 44 - h:.1f}" text-anchor="middle" font-size="10">{s[key]:.1f}</text>')
        svg.append(f'<text x="{x0 + i * group + group / 2:.1f}" y="{H - 24}" text-anchor="middle">{op}</text>')
svg.append(f'<rect x="{PAD}" y="{H - 14}" width="10" height="10" fill="#2b7bb9"/><text x="{PAD + 14}" y="{H - 5}">portal-api</text>')
svg.append(f'<rect x="{PAD + 110}" y="{H - 14}" width="10" height="10" fill="#e0803a"/><text x="{PAD + 124}" y="{H - 5}">PostGraphile 5</text>')
svg.append("</svg>")
with open(os.path.join(ROOT, "bench", "chart.svg"), "w") as f:
    f.write("\n".join(svg) + "\n")
