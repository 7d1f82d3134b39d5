"""The physical limit beside the servers: the statements each server sends for one request,
captured from PostgreSQL's own log, replayed by pgbench.

  floor.py capture DATABASE_URL LOGFILE OUT_DIR LABEL PORT AUTH BODIES
      Turns on log_statement for the cluster, sends the first body twice (the first warms
      caches), and writes OUT_DIR/LABEL.sql: the statements of the second request, with
      their parameters written in, one per line, as a pgbench script. The log holds every
      connection's statements, also a server's background ones (the viewer listener's
      keep-alive sync, each second when quiet; the e-mail outbox's poll), which only add
      to a request's: the fewest statements of three tries are the request's.

The markers are statements of their own (`SELECT 'bench-mark:…'`), logged in order with the
servers' statements: a request has finished before its closing marker is sent.
"""
import os
import re
import subprocess
import sys
import time

from bodies import post_body  # the one request helper of the bench scripts

ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[(\d+)\] \S*@\S* (LOG|DETAIL|ERROR|STATEMENT|WARNING|NOTICE|HINT|CONTEXT):  (.*)$")
STATEMENT = re.compile(r"^(?:statement|execute [^:]+): (.*)$", re.S)
PARAMS = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')")


def psql(url, sql):
    subprocess.run(["psql", "-Atq", url, "-c", sql], check=True, capture_output=True)


def entries(text):
    """(pid, kind, message) per log entry; continuation lines (tab-indented) join their entry."""
    out = []
    for line in text.split("\n"):
        m = ENTRY.match(line)
        if m:
            out.append([m.group(1), m.group(2), m.group(3)])
        elif out and line.startswith("\t"):
            out[-1][2] += "\n" + line[1:]
    return out


def statements(log):
    """The statements logged, parameters written in, between the last two markers."""
    found = []
    last = {}  # pid -> index of its latest statement (a DETAIL belongs to its backend's)
    for pid, kind, message in entries(log):
        if kind == "LOG":
            m = STATEMENT.match(message)
            if m:
                last[pid] = len(found)
                found.append(m.group(1))
        elif kind == "DETAIL" and message.startswith("parameters:") and pid in last:
            params = dict(PARAMS.findall(message))
            sql = found[last[pid]]
            for n in sorted(params, key=int, reverse=True):
                sql = sql.replace(f"${n}", params[n])
            found[last[pid]] = sql
    marks = [i for i, s in enumerate(found) if "bench-mark:" in s]
    between = found[marks[-2] + 1 : marks[-1]]
    # The listener's LISTEN/sync statements are the server's too; transaction control stays.
    return [" ".join(s.split()) for s in between]


def capture(url, logfile, out, label, port, auth, bodies, tries=3):
    body = open(bodies).readline().strip()
    psql(url, "ALTER SYSTEM SET log_statement = 'all'")
    psql(url, "SELECT pg_reload_conf()")
    time.sleep(1)  # backends read the new setting between their statements
    sql = None
    try:
        for n in range(tries):
            start = os.path.getsize(logfile)
            post_body(port, auth, body)
            psql(url, f"SELECT 'bench-mark:{label}:{n}:1'")
            post_body(port, auth, body)
            time.sleep(0.2)  # a server's statements after its answer (none expected) land
            psql(url, f"SELECT 'bench-mark:{label}:{n}:2'")
            with open(logfile, errors="replace") as f:
                f.seek(start)
                found = statements(f.read())
            if sql is None or len(found) < len(sql):
                sql = found
    finally:
        psql(url, "ALTER SYSTEM RESET log_statement")
        psql(url, "SELECT pg_reload_conf()")
    with open(os.path.join(out, f"{label}.sql"), "w") as f:
        f.write("".join(s.rstrip(";") + ";\n" for s in sql))
    print(f"{label}: {len(sql)} statements")


if __name__ == "__main__":
    if sys.argv[1] == "capture":
        capture(*sys.argv[2:9])
