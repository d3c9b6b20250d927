#!/usr/bin/env python3
"""Fills a running Dorf-App server through its API for bench/authenticated-lists.sh.

    bench/fill-resident.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD

Registers a resident of the first district who follows that district's news, books 40 rides
for them (one a day from tomorrow, 10:00 UTC) and has the administrator publish 25 news items
with `notify: true` to the district; waits until all 25 are in the resident's inbox. Prints
the resident's access token and the district's id on one line. Needs only Python 3.
"""

import datetime as dt
import json
import sys
import time
import urllib.error
import urllib.request
import uuid

RIDES = 40
NEWS = 25


def call(base, method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request) as reply:
            text = reply.read()
    except urllib.error.HTTPError as err:
        sys.exit(f"{method} {path}: {err.code} {err.read().decode(errors='replace')}")
    return json.loads(text) if text else None


def main() -> None:
    base, admin_email, admin_password = sys.argv[1:4]
    admin = call(base, "POST", "/api/v1/auth/login",
                 body={"email": admin_email, "password": admin_password})["tokens"]["access_token"]
    district = call(base, "GET", "/api/v1/districts")[0]["id"]
    resident = call(base, "POST", "/api/v1/auth/register", body={
        "email": f"bewohnerin-{uuid.uuid4().hex[:8]}@example.org",
        "password": "richtig-langes-passwort",
        "display_name": "Erika Musterfrau",
        "home_district_id": district,
    })["tokens"]["access_token"]
    preferences = call(base, "GET", "/api/v1/me/notification-preferences", token=resident)
    preferences["district_ids"] = [district]
    call(base, "PUT", "/api/v1/me/notification-preferences", token=resident, body=preferences)

    tomorrow = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
    for day in range(RIDES):
        pickup = dt.datetime.combine(tomorrow + dt.timedelta(days=day), dt.time(10),
                                     tzinfo=dt.timezone.utc)
        call(base, "POST", "/api/v1/rides", token=resident, body={
            "pickup_district_id": district,
            "pickup_address": "Dorfstraße 1",
            "destination": "Arztpraxis, Marktplatz 3",
            "pickup_at": pickup.isoformat().replace("+00:00", "Z"),
            "passengers": 1,
        })
    for i in range(NEWS):
        call(base, "POST", "/api/v1/news", token=admin, body={
            "title": f"Mitteilung {i}: Straßensperrung",
            "body": "Die Hauptstraße ist am Montag von 8 bis 16 Uhr gesperrt. " * 4,
            "category": "announcement",
            "district_ids": [district],
            "notify": True,
        })
    deadline = time.monotonic() + 60
    while True:
        unread = call(base, "GET", "/api/v1/me/notifications?limit=1", token=resident)["unread_count"]
        if unread >= NEWS:
            break
        if time.monotonic() > deadline:
            sys.exit(f"only {unread} of {NEWS} notices reached the inbox in 60 s")
        time.sleep(0.2)
    print(resident, district)


if __name__ == "__main__":
    main()
