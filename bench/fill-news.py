#!/usr/bin/env python3
"""Fills a migrated Dorf-App database with published news items for the feed benchmark.

    bench/fill-news.py sqlite:PATH/dorfapp.db TOTAL TARGET_DISTRICT_ID
    bench/fill-news.py postgres://postgres@127.0.0.1:5432/db TOTAL TARGET_DISTRICT_ID

Of TOTAL items, a tenth go to the target district, one in a hundred to the whole municipality,
the rest to the other districts; one item a minute, ending now. 5% have expired, 0.1% are
pinned, categories are mixed (70% news, 15% announcements, 10% events, 5% warnings). The rows
are what the server writes itself (item plus its feed placements), written directly because
creating a million items over HTTP would take the benchmark hours. Needs only Python 3 and,
for PostgreSQL, the `psql` client.
"""

import csv
import datetime as dt
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import uuid

BODY = (
    "Liebe Mitbürgerinnen und Mitbürger, **am kommenden Wochenende** findet im Ortsteil "
    "wieder der Frühjahrsputz statt. Treffpunkt ist um 9 Uhr am Dorfgemeinschaftshaus. "
    "Handschuhe und Säcke werden gestellt; für Verpflegung ist gesorgt. "
) * 3
CATEGORIES = ["news"] * 14 + ["announcement"] * 3 + ["event"] * 2 + ["warning"]


def uuid7(at: dt.datetime) -> uuid.UUID:
    """A time-ordered UUID (version 7) for the given instant, as the server makes them."""
    ms = int(at.timestamp() * 1000)
    rand = random.getrandbits(74)
    value = (ms << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62) | (rand & ((1 << 62) - 1))
    return uuid.UUID(int=value)


def rows(total: int, target: str, others: list[str]):
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    rng = random.Random(42)
    for i in range(total):
        at = now - dt.timedelta(minutes=total - i, microseconds=rng.randrange(1, 999_999))
        if i % 10 == 0:
            districts = [target]
        elif i % 100 == 1:
            districts = []
        else:
            districts = [others[i % len(others)]]
        category = rng.choice(CATEGORIES)
        expires = at + dt.timedelta(days=1) if i % 20 == 7 and at < now - dt.timedelta(days=2) else None
        yield {
            "id": str(uuid7(at)),
            "title": f"Nachricht {i}: Frühjahrsputz",
            "body": BODY,
            "category": category,
            "districts": districts,
            "published_at": at,
            "expires_at": expires,
            "pinned": i % 1000 == 3,
            "event_starts_at": at + dt.timedelta(days=3) if category == "event" else None,
        }


ITEM_COLUMNS = (
    "id, title, body, category, status, district_ids, publish_at, published_at, expires_at, "
    "pinned, notify, event_starts_at, event_ends_at, event_location, author_id, created_at, updated_at"
)
PLACEMENT_COLUMNS = "id, news_id, district_id, category, pinned, published_at, expires_at"


def iso(value):
    return value.isoformat() if value is not None else None


def fill_sqlite(path: str, total: int, target: str) -> None:
    db = sqlite3.connect(path)
    as_blob = lambda text: uuid.UUID(text).bytes  # noqa: E731 - sqlx keeps UUIDs as 16-byte blobs
    others = [
        str(uuid.UUID(bytes=row[0]))
        for row in db.execute("SELECT id FROM district")
        if str(uuid.UUID(bytes=row[0])) != target
    ]
    items, placements = [], []
    for r in rows(total, target, others):
        items.append((
            as_blob(r["id"]), r["title"], r["body"], r["category"], "published",
            "[" + ",".join(f'"{d}"' for d in r["districts"]) + "]", None, iso(r["published_at"]),
            iso(r["expires_at"]), int(r["pinned"]), 0, iso(r["event_starts_at"]), None, None, None,
            iso(r["published_at"]), iso(r["published_at"]),
        ))
        for d in r["districts"] or [None]:
            placements.append((
                uuid7(r["published_at"]).bytes, as_blob(r["id"]), as_blob(d) if d else None,
                r["category"], int(r["pinned"]), iso(r["published_at"]), iso(r["expires_at"]),
            ))
        if len(items) >= 50_000:
            flush_sqlite(db, items, placements)
    flush_sqlite(db, items, placements)
    db.execute("ANALYZE")
    db.commit()


def flush_sqlite(db, items, placements) -> None:
    db.executemany(f"INSERT INTO news_item ({ITEM_COLUMNS}) VALUES ({','.join('?' * 17)})", items)
    db.executemany(
        f"INSERT INTO news_placement ({PLACEMENT_COLUMNS}) VALUES ({','.join('?' * 7)})", placements
    )
    db.commit()
    items.clear()
    placements.clear()


def psql(url: str, *args: str) -> str:
    return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-At", *args],
                          check=True, capture_output=True, text=True).stdout


def fill_postgres(url: str, total: int, target: str) -> None:
    others = [d for d in psql(url, "-c", "SELECT id FROM district").split() if d != target]
    with tempfile.TemporaryDirectory() as tmp:
        item_file, placement_file = os.path.join(tmp, "items.csv"), os.path.join(tmp, "placements.csv")
        with open(item_file, "w", newline="") as fi, open(placement_file, "w", newline="") as fp:
            items, placements = csv.writer(fi), csv.writer(fp)
            for r in rows(total, target, others):
                items.writerow([
                    r["id"], r["title"], r["body"], r["category"], "published",
                    "[" + ",".join(f'"{d}"' for d in r["districts"]) + "]", None,
                    iso(r["published_at"]), iso(r["expires_at"]), r["pinned"], False,
                    iso(r["event_starts_at"]), None, None, None, iso(r["published_at"]), iso(r["published_at"]),
                ])
                for d in r["districts"] or [None]:
                    placements.writerow([
                        uuid7(r["published_at"]), r["id"], d, r["category"], r["pinned"],
                        iso(r["published_at"]), iso(r["expires_at"]),
                    ])
        psql(url, "-c", f"\\copy news_item ({ITEM_COLUMNS}) FROM '{item_file}' WITH (FORMAT csv)")
        psql(url, "-c", f"\\copy news_placement ({PLACEMENT_COLUMNS}) FROM '{placement_file}' WITH (FORMAT csv)")
        psql(url, "-c", "ANALYZE news_item; ANALYZE news_placement;")


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    target_db, total, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if target_db.startswith("sqlite:"):
        fill_sqlite(target_db.removeprefix("sqlite:"), total, target)
    else:
        fill_postgres(target_db, total, target)


if __name__ == "__main__":
    main()
