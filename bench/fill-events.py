#!/usr/bin/env python3
"""Fills a running Dorf-App server with events through its HTTP API, for bench/events.sh.

    bench/fill-events.py BASE_URL PASSWORD EMAIL [EMAIL ...]
        [--total 10000] [--series 1000] [--threads 8] [--seed 19]

    bench/fill-events.py http://127.0.0.1:18191 bench-passwort-2026 autor1@bench.invalid

Every event is a `POST /api/v1/events` by a publisher (an administrator: only they may publish
for the whole town), so each one costs what a real create costs: validation, the per-author
quota, the insert and the rewrite of the event's `event_occurrence` rows. Start the server with
`DORFAPP_QUOTA_EVENTS_PER_AUTHOR_PER_HOUR` high enough for the fill. Worker thread i posts as
EMAIL[i % len(EMAILS)] (all with PASSWORD) over one keep-alive connection.

Of TOTAL events, SERIES are weekly series (`FREQ=WEEKLY;BYDAY=..`: 40% without end, 30% with
`UNTIL` 3-18 months ahead, 30% with `COUNT` 10-60; one in ten every other week) starting in
the next 8 weeks; the rest are single events spread over the next two years (one in twenty
all-day). Placement: one in eight for the whole town (`district_ids: []`), one in ten in two
districts, the rest in one district, at random among the seeded districts. Categories are mixed.

Prints the fill rate (events/s) and the create latency per kind; exits 1 if any create failed
(after printing the first failures: request, status, body). Needs only Python 3.
"""

import argparse
import datetime as dt
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse

CATEGORIES = (["club"] * 6 + ["culture"] * 4 + ["sport"] * 4 + ["church"] * 3 + ["festival"] * 2
              + ["seniors"] * 2 + ["youth"] * 2 + ["market"] * 2 + ["meeting"] * 2 + ["other"])
TITLES = {
    "club": "Vereinsabend", "culture": "Chorprobe", "sport": "Training der Alten Herren",
    "church": "Gottesdienst", "festival": "Dorffest", "seniors": "Seniorennachmittag",
    "youth": "Jugendtreff", "market": "Flohmarkt", "meeting": "Ortschaftsrat", "other": "Treffen",
}
PLACES = ["Dorfgemeinschaftshaus", "Sportplatz", "Kirche St. Nikolai", "Feuerwehrgerätehaus",
          "Gasthof Zur Linde", "Schulturnhalle", "Anger"]
DESCRIPTION = ("Alle sind herzlich eingeladen. Für Kaffee und Kuchen ist gesorgt; "
               "Parkplätze gibt es am Anger. ") * 2
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
HOURS = [10, 14, 15, 17, 18, 19, 20]  # never 02:00-03:00, the summer-time gap


def events(total: int, series: int, districts: list[str], seed: int):
    """(kind, body) for every event, deterministic for a seed."""
    rng = random.Random(seed)
    today = dt.date.today()
    every = max(1, total // series) if series else 0
    made_series = 0
    for i in range(total):
        category = rng.choice(CATEGORIES)
        roll = rng.random()
        if roll < 0.125:
            placed = []
        elif roll < 0.225:
            placed = rng.sample(districts, 2)
        else:
            placed = [rng.choice(districts)]
        body = {
            "title": f"{TITLES[category]} {i}",
            "category": category,
            "district_ids": placed,
            "place": rng.choice(PLACES),
            "description": DESCRIPTION,
        }
        if every and i % every == 0 and made_series < series:
            made_series += 1
            weekday = rng.randrange(7)
            first = today + dt.timedelta(days=1 + rng.randrange(56))
            first += dt.timedelta(days=(weekday - first.weekday()) % 7)
            hour = rng.choice(HOURS)
            rule = f"FREQ=WEEKLY;BYDAY={WEEKDAYS[weekday]}"
            if rng.random() < 0.1:
                rule = f"FREQ=WEEKLY;INTERVAL=2;BYDAY={WEEKDAYS[weekday]}"
            end_roll = rng.random()
            if end_roll < 0.4:
                kind = "series, open-ended"
            elif end_roll < 0.7:
                until = first + dt.timedelta(days=90 + rng.randrange(450))
                rule += f";UNTIL={until:%Y%m%d}T230000Z"
                kind = "series, UNTIL"
            else:
                rule += f";COUNT={10 + rng.randrange(51)}"
                kind = "series, COUNT"
            body.update(start=f"{first}T{hour:02}:00", end=f"{first}T{hour + 2:02}:00",
                        recurrence=rule)
        else:
            day = today + dt.timedelta(days=1 + rng.randrange(727))
            if rng.random() < 0.05:
                last = day + dt.timedelta(days=rng.randrange(3))
                body.update(start=f"{day}", end=f"{last}")
                kind = "single, all-day"
            else:
                hour = rng.choice(HOURS)
                body.update(start=f"{day}T{hour:02}:00",
                            end=f"{day}T{hour + 1 + rng.randrange(3):02}:00")
                kind = "single"
        yield kind, body


class Client:
    """One keep-alive connection, logged in as one author."""

    def __init__(self, base: str, email: str, password: str):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port or 80
        self.email, self.password = email, password
        self.conn = None
        self.token = None

    def request(self, method: str, path: str, body=None, auth=True):
        for attempt in range(3):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            headers = {"Content-Type": "application/json", "Accept-Language": "en"}
            if auth:
                if self.token is None:
                    self.login()
                headers["Authorization"] = f"Bearer {self.token}"
            try:
                self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                                  headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            if resp.status == 401 and auth and attempt < 2:
                self.token = None  # expired: log in again
                continue
            return resp.status, data
        return resp.status, data

    def login(self) -> None:
        status, data = self.request("POST", "/api/v1/auth/login",
                                    {"email": self.email, "password": self.password}, auth=False)
        if status != 200:
            sys.exit(f"login as {self.email}: {status} {data[:300]!r}")
        self.token = json.loads(data)["tokens"]["access_token"]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("base")
    args.add_argument("password")
    args.add_argument("emails", nargs="+")
    args.add_argument("--total", type=int, default=10_000)
    args.add_argument("--series", type=int, default=1_000)
    args.add_argument("--threads", type=int, default=8)
    args.add_argument("--seed", type=int, default=19)
    opts = args.parse_args()

    probe = Client(opts.base, opts.emails[0], opts.password)
    status, data = probe.request("GET", "/api/v1/districts", auth=False)
    if status != 200:
        sys.exit(f"GET /api/v1/districts: {status} {data[:300]!r}")
    districts = [d["id"] for d in json.loads(data)]
    work = list(events(opts.total, opts.series, districts, opts.seed))
    lock = threading.Lock()
    latencies: dict[str, list[float]] = {}
    failures: list[str] = []
    position = [0]

    def worker(index: int) -> None:
        client = Client(opts.base, opts.emails[index % len(opts.emails)], opts.password)
        client.login()
        while True:
            with lock:
                if position[0] >= len(work):
                    return
                kind, body = work[position[0]]
                position[0] += 1
            started = time.perf_counter()
            try:
                status, data = client.request("POST", "/api/v1/events", body)
            except (OSError, http.client.HTTPException) as err:
                status, data = 0, repr(err).encode()
            took = time.perf_counter() - started
            with lock:
                if status == 201:
                    latencies.setdefault(kind, []).append(took)
                else:
                    failures.append(f"POST /api/v1/events {json.dumps(body, ensure_ascii=False)}"
                                    f" -> {status} {data[:500].decode(errors='replace')}")

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(opts.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    created = sum(len(v) for v in latencies.values())
    for kind in sorted(latencies):
        v = latencies[kind]
        print(f"  {kind:<20} {len(v):6} created, p50 {percentile(v, 50) * 1000:7.1f} ms, "
              f"p99 {percentile(v, 99) * 1000:7.1f} ms, max {max(v) * 1000:7.1f} ms")
    every = [x for v in latencies.values() for x in v]
    print(f"filled {created} events ({len(failures)} failed) in {elapsed:.1f} s on {opts.threads} "
          f"threads as {min(opts.threads, len(opts.emails))} authors: {created / elapsed:.0f} events/s; "
          f"create p50 {percentile(every, 50) * 1000:.1f} ms, p99 {percentile(every, 99) * 1000:.1f} ms")
    for line in failures[:5]:
        print("FAILED: " + line, file=sys.stderr)
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
