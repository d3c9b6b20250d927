"""An independent cross-check of the iCal feeds against the server's own calendar query.

The server writes its feeds (`/api/v1/calendar/gemeinde.ics`, `/api/v1/calendar/<slug>.ics`)
and answers `GET /api/v1/events/occurrences` from the same stored dates; this script reads
the feeds with other people's code (icalendar parses, recurring-ical-events expands RRULE,
EXDATE and RECURRENCE-ID the way calendar apps do) and compares, event by event, the dates
that take place as instants in UTC.

It publishes, as the admin:
  a) "every Tuesday 19:00-21:00" from next Tuesday, open-ended (a year of it spans both
     summer-time changes), one date cancelled (in summer time), one moved to a Thursday 20:00
     (in winter time); in district A;
  b) an all-day event of four days over the next summer-time change; the whole town;
  c) a single event whose title, description and place hold umlauts, a semicolon, a comma,
     a backslash and a line break, and a description long enough to be folded; district A;
  d) FREQ=MONTHLY;BYMONTHDAY=31;COUNT=6 (only months with a 31st count); district B;
  e) a single event, then cancelled; the whole town;
  f) "every Sunday 02:30-03:30" from next Sunday, COUNT=53: one date falls into the hour the
     spring change skips and one into the hour the autumn change has twice. RFC 5545 (3.3.5,
     3.3.10) reads the skipped 02:30 with the offset before the gap (01:30Z, i.e. 03:30
     summer time) and the doubled 02:30 as its first occurrence (00:30Z, summer time).
and then, for `gemeinde.ics` against the query without `district_id`, and for district A's
feed against the query with it, over the 365 days from today (local midnight):
  - per UID (`<event id>@<host>`), the set of (start, end) in UTC of the dates that take
    place equals what the query lists (all pages, `next_cursor`);
  - the dates the query lists as cancelled (`include_cancelled=true`) are exactly the
    feed's EXDATEs of a series and the expanded dates of a `STATUS:CANCELLED` event;
  - every moved date's RECURRENCE-ID is the query's `original_start`;
  - each feed's own VTIMEZONE gives the same instants as the tz database (clients that read
    the VTIMEZONE rather than the TZID name must land on the same times);
and for the events written here: every Tuesday is 19:00-21:00 local (17:00Z in summer,
18:00Z in winter, both seen); the monthly series has its six 31sts; the all-day event is four
whole days; the text reads back exactly as written; the cancelled event is `STATUS:CANCELLED`;
district B's event is in neither district A's feed nor its query; the raw feed is CRLF,
folded at 75 octets, `text/calendar; charset=utf-8`.

usage: python ical_check.py [BASE_URL ADMIN_EMAIL ADMIN_PASSWORD]
  without arguments: $DORFAPP_BASE_URL, $DORFAPP_ADMIN_EMAIL, $DORFAPP_ADMIN_PASSWORD

Prints a report; exit status 1 on any mismatch (or a request that fails), 0 when all agree.
Needs Python >= 3.10, icalendar and recurring-ical-events (clients.sh pins both). Creates six
events, so the server's per-author quota (20 an hour) allows three runs an hour against one
server.
"""

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from importlib import metadata
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

UTC = timezone.utc


class Report:
    """Collects checks; every failed one is a mismatch."""

    def __init__(self):
        self.checks = 0
        self.mismatches = []

    def section(self, title):
        print(f"\n== {title}")

    def ok(self, condition, what, detail=""):
        self.checks += 1
        if condition:
            print(f"   ok        {what}")
        else:
            self.mismatches.append(what)
            print(f"   MISMATCH  {what}")
            for line in str(detail).splitlines():
                print(f"             {line}")
        return condition

    def note(self, text):
        print(f"   note      {text}")


# ---------------------------------------------------------------- HTTP (stdlib)
class Api:
    def __init__(self, base):
        self.base = base.rstrip("/")
        self.token = None

    def request(self, method, path, body=None, query=None, expect=(200,), raw=False):
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
            req.add_header("Idempotency-Key", str(uuid.uuid4()))
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as answer:
                status, headers, content = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            status, headers, content = error.code, error.headers, error.read()
        if status not in expect:
            text = content.decode("utf-8", "replace")[:800]
            raise SystemExit(f"ical_check: {method} {path} answered {status}: {text}")
        if raw:
            return headers, content
        return json.loads(content) if content else None

    def occurrences(self, start, stop, district_id=None, include_cancelled=False):
        """Every page of the calendar query, following `next_cursor`."""
        query = {"from": start.isoformat(), "to": stop.isoformat(), "limit": 100}
        if district_id:
            query["district_id"] = district_id
        if include_cancelled:
            query["include_cancelled"] = "true"
        items, pages = [], 0
        while True:
            page = self.request("GET", "/api/v1/events/occurrences", query=query)
            items += page["items"]
            pages += 1
            cursor = page.get("next_cursor")
            if not cursor:
                return items, pages
            if pages > 200:
                raise SystemExit("ical_check: the occurrence cursor does not end")
            query["cursor"] = cursor


def instant(text):
    """An RFC 3339 instant of the API as an aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def show(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def show_pairs(pairs, limit=12):
    pairs = sorted(pairs)
    text = ", ".join(
        show(p) if isinstance(p, datetime) else f"{show(p[0])}/{show(p[1])}" for p in pairs[:limit]
    )
    return text + (f" … (+{len(pairs) - limit})" if len(pairs) > limit else "") if pairs else "—"


# ---------------------------------------------------------------- dates to write
def next_weekday(day, weekday):
    """The first date after `day` on `weekday` (Mon=0)."""
    return day + timedelta(days=(weekday - day.weekday() - 1) % 7 + 1)


def dst_sundays(tz, first, last):
    """The dates in [first, last] on which the zone's UTC offset changes."""
    out, day = [], first
    while day <= last:
        before = datetime.combine(day, time(0), tz).utcoffset()
        after = datetime.combine(day + timedelta(days=1), time(0), tz).utcoffset()
        if before != after:
            out.append((day, after > before))  # (date, spring forward?)
        day += timedelta(days=1)
    return out


def local(day, clock, tz):
    return datetime.combine(day, clock, tz)


# ---------------------------------------------------------------- feeds
def fetch_feed(api, report, name):
    headers, content = api.request("GET", f"/api/v1/calendar/{name}", raw=True)
    kind = headers.get("Content-Type", "")
    report.ok(
        kind.replace(" ", "").lower() == "text/calendar;charset=utf-8",
        f"{name}: Content-Type is text/calendar; charset=utf-8",
        f"got {kind!r}",
    )
    lines = content.split(b"\r\n")
    bare_lf = sum(line.count(b"\n") for line in lines)
    long_lines = [n + 1 for n, line in enumerate(lines) if len(line) > 75]
    report.ok(content.endswith(b"\r\n") and bare_lf == 0, f"{name}: every line ends in CRLF",
              f"{bare_lf} bare LF")
    report.ok(not long_lines, f"{name}: no line longer than 75 octets",
              f"lines {long_lines[:10]}")
    split = 0
    for line in lines:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            split += 1
    if split:
        report.note(f"{name}: {split} folded lines split a UTF-8 character (RFC 5545 3.1 "
                    "allows it; the parser must rejoin before decoding)")
    return icalendar.Calendar.from_ical(content), content


def uid_event_id(uid):
    return str(uid).split("@", 1)[0]


def feed_view(cal, start, stop, vtz):
    """What a calendar app shows: per event id, the expanded dates that take place, the
    expanded dates marked cancelled, the EXDATEs in the span, the moved dates' RECURRENCE-IDs,
    and every expanded date's instants under the feed's VTIMEZONE."""
    taking_place, cancelled, exdates = defaultdict(set), defaultdict(set), defaultdict(set)
    recurrence_ids, vtz_differs, hosts = defaultdict(set), [], set()
    components = {}
    for occurrence in recurring_ical_events.of(cal).between(start, stop):
        uid = str(occurrence["UID"])
        hosts.add(uid.split("@", 1)[1] if "@" in uid else "")
        event_id = uid_event_id(uid)
        begin, end = occurrence.start, occurrence.end
        pair = (as_instant(begin, start.tzinfo), as_instant(end, start.tzinfo))
        status = str(occurrence.get("STATUS", "CONFIRMED")).upper()
        (cancelled if status == "CANCELLED" else taking_place)[event_id].add(pair)
        components.setdefault(event_id, occurrence)
        # A time in the spring gap is checked in (f) on its own: Python's tzinfo built from a
        # VTIMEZONE resolves a time that does not exist differently from zoneinfo, which says
        # nothing about the feed.
        if (vtz is not None and isinstance(begin, datetime) and begin.tzinfo is not None
                and exists_locally(begin)):
            by_vtz = tuple(
                t.replace(tzinfo=None).replace(tzinfo=vtz, fold=t.fold).astimezone(UTC)
                for t in (begin, end)
            )
            if by_vtz != pair:
                vtz_differs.append((event_id, begin, pair, by_vtz))
    for component in cal.walk("VEVENT"):
        event_id = uid_event_id(component["UID"])
        # recurring-ical-events gives every expanded date a RECURRENCE-ID; only the feed's own
        # overrides (the moved dates) carry one in the feed.
        if "RECURRENCE-ID" in component:
            recurrence_ids[event_id].add(as_instant(component["RECURRENCE-ID"].dt, start.tzinfo))
        values = component.get("EXDATE", [])
        for value in values if isinstance(values, list) else [values]:
            for item in value.dts:
                moment = as_instant(item.dt, start.tzinfo)
                if start <= moment < stop:
                    exdates[event_id].add(moment)
    return {
        "taking_place": taking_place,
        "cancelled": cancelled,
        "exdates": exdates,
        "recurrence_ids": recurrence_ids,
        "vtz_differs": vtz_differs,
        "hosts": hosts,
        "components": components,
    }


def exists_locally(moment):
    """Whether an aware datetime's wall-clock time exists in its zone (not in the spring gap)."""
    wall = moment.replace(tzinfo=None)
    there = moment.astimezone(UTC).astimezone(moment.tzinfo).replace(tzinfo=None)
    return wall == there


def as_instant(value, zone):
    """A DATE-TIME as a UTC instant; a DATE (all-day) as local midnight in the municipality's
    zone, which is how the API states an all-day date as an instant."""
    if isinstance(value, datetime):
        if value.tzinfo is None:  # floating: the calendar's zone (X-WR-TIMEZONE)
            value = value.replace(tzinfo=zone)
        return value.astimezone(UTC)
    return datetime.combine(value, time(0), zone).astimezone(UTC)


def api_view(api, start, stop, district_id):
    listed, pages = api.occurrences(start, stop, district_id)
    everything, pages_all = api.occurrences(start, stop, district_id, include_cancelled=True)
    taking_place, cancelled = defaultdict(set), defaultdict(set)
    originals, statuses_default = defaultdict(set), set()
    tz_cache = {}
    for item in listed:
        taking_place[item["event_id"]].add((instant(item["starts_at"]), instant(item["ends_at"])))
        statuses_default.add(item["status"])
    extra = defaultdict(set)
    for item in everything:
        pair = (instant(item["starts_at"]), instant(item["ends_at"]))
        if item["status"] == "cancelled":
            cancelled[item["event_id"]].add(pair[0])
        else:
            extra[item["event_id"]].add(pair)
        if item["status"] == "moved" and item.get("original_start"):
            zone = tz_cache.setdefault("zone", start.tzinfo)
            originals[item["event_id"]].add(
                datetime.fromisoformat(item["original_start"]).replace(tzinfo=zone).astimezone(UTC)
            )
    return {
        "taking_place": taking_place,
        "cancelled": cancelled,
        "not_cancelled_with_flag": extra,
        "originals": originals,
        "statuses_default": statuses_default,
        "pages": (pages, pages_all),
        "items": listed,
    }


def compare(report, label, feed, api_side, ours):
    """Feed against query, per event id."""
    report.ok(
        "cancelled" not in api_side["statuses_default"],
        f"{label}: the query without include_cancelled lists no cancelled date",
        f"statuses seen: {sorted(api_side['statuses_default'])}",
    )
    ids = set(feed["taking_place"]) | set(api_side["taking_place"])
    ids |= set(feed["cancelled"]) | set(feed["exdates"]) | set(api_side["cancelled"])
    bad = []
    for event_id in sorted(ids):
        f, a = feed["taking_place"].get(event_id, set()), api_side["taking_place"].get(event_id, set())
        if f != a:
            bad.append(
                f"{ours.get(event_id, event_id)}: dates taking place\n"
                f"  only in the feed:  {show_pairs(f - a)}\n"
                f"  only in the query: {show_pairs(a - f)}"
            )
        a_with_flag = api_side["not_cancelled_with_flag"].get(event_id, set())
        if a_with_flag != a:
            bad.append(
                f"{ours.get(event_id, event_id)}: the query with include_cancelled lists other "
                f"dates that take place than without it\n"
                f"  with only:    {show_pairs(a_with_flag - a)}\n"
                f"  without only: {show_pairs(a - a_with_flag)}"
            )
        feed_cancelled = {p[0] for p in feed["cancelled"].get(event_id, set())}
        feed_cancelled |= feed["exdates"].get(event_id, set())
        api_cancelled = api_side["cancelled"].get(event_id, set())
        if feed_cancelled != api_cancelled:
            bad.append(
                f"{ours.get(event_id, event_id)}: cancelled dates (feed: EXDATE and "
                f"STATUS:CANCELLED; query: status cancelled)\n"
                f"  only in the feed:  {show_pairs(feed_cancelled - api_cancelled)}\n"
                f"  only in the query: {show_pairs(api_cancelled - feed_cancelled)}"
            )
        overlap = feed["exdates"].get(event_id, set()) & {p[0] for p in f}
        if overlap:
            bad.append(f"{ours.get(event_id, event_id)}: EXDATE still expanded: {show_pairs(overlap)}")
        rid, orig = feed["recurrence_ids"].get(event_id, set()), api_side["originals"].get(event_id, set())
        if rid != orig:
            bad.append(
                f"{ours.get(event_id, event_id)}: moved dates' RECURRENCE-ID vs original_start\n"
                f"  feed:  {show_pairs(rid)}\n  query: {show_pairs(orig)}"
            )
    total_f = sum(len(v) for v in feed["taking_place"].values())
    total_a = sum(len(v) for v in api_side["taking_place"].values())
    report.ok(
        not bad,
        f"{label}: {len(ids)} events, {total_f} dates in the feed and {total_a} in the query "
        f"({api_side['pages'][0]}+{api_side['pages'][1]} pages) agree, cancelled ones too",
        "\n".join(bad),
    )
    report.ok(
        not feed["vtz_differs"],
        f"{label}: the feed's VTIMEZONE puts every date where the tz database does",
        "\n".join(
            f"{ours.get(e, e)} {b.replace(tzinfo=None).isoformat()} local: tz database "
            f"{show(p[0])}, VTIMEZONE {show(v[0])}"
            for e, b, p, v in feed["vtz_differs"][:20]
        ),
    )


# ---------------------------------------------------------------- main
def main(base, admin_email, admin_password):
    report = Report()
    api = Api(base)
    tokens = api.request("POST", "/api/v1/auth/login",
                         {"email": admin_email, "password": admin_password})["tokens"]
    api.token = tokens["access_token"]
    run = uuid.uuid4().hex[:6]

    districts = api.request("GET", "/api/v1/districts")
    if len(districts) < 2:
        for n in range(2 - len(districts)):
            api.request("POST", "/api/v1/districts",
                        {"slug": f"ical-{run}-{n}", "name": f"iCal {run} {n}"}, expect=(201,))
        districts = api.request("GET", "/api/v1/districts")
    district_a, district_b = sorted(districts, key=lambda d: d["slug"])[:2]

    def create(body, district=None):
        body = dict(body, category=body.get("category", "culture"),
                    district_ids=[district["id"]] if district else [])
        return api.request("POST", "/api/v1/events", body, expect=(201,))

    # The zone: the server's own (Europe/Berlin by default), read from the first event.
    probe_zone = ZoneInfo(os.environ.get("DORFAPP_TIME_ZONE", "Europe/Berlin"))
    today = datetime.now(probe_zone).date()

    # a) every Tuesday 19:00-21:00.
    tuesday = next_weekday(today, 1)
    weekly = create({
        "title": f"Chorprobe {run}",
        "start": f"{tuesday}T19:00", "end": f"{tuesday}T21:00",
        "recurrence": "FREQ=WEEKLY;BYDAY=TU",
        "place": "Dorfgemeinschaftshaus",
    }, district_a)
    zone = ZoneInfo(weekly["time_zone"])
    if zone.key != probe_zone.key:
        today = datetime.now(zone).date()
    span_start = datetime.combine(today, time(0), zone)
    span_stop = datetime.combine(today + timedelta(days=365), time(0), zone)
    changes = dst_sundays(zone, today + timedelta(days=1), today + timedelta(days=365))
    spring = next(d for d, forward in changes if forward)
    autumn = next(d for d, forward in changes if not forward)
    cancelled_tuesday = next_weekday(spring, 1)       # first Tuesday in summer time
    moved_tuesday = tuesday + timedelta(days=7)        # second date, winter or summer
    if moved_tuesday == cancelled_tuesday:
        moved_tuesday += timedelta(days=7)
    api.request("PUT", f"/api/v1/events/{weekly['id']}/occurrences/{cancelled_tuesday:%Y%m%d}T190000",
                {"status": "cancelled", "reason": "Osterferien"})
    moved_to = moved_tuesday + timedelta(days=2)
    api.request("PUT", f"/api/v1/events/{weekly['id']}/occurrences/{moved_tuesday:%Y%m%d}T190000",
                {"status": "moved", "start": f"{moved_to}T20:00"})

    # b) all day, Friday to Monday over the next change of the clocks.
    change = min(d for d, _ in changes if d - timedelta(days=2) > today)
    first_day, last_day = change - timedelta(days=2), change + timedelta(days=1)
    all_day = create({
        "title": f"Kirmes {run}", "category": "festival",
        "start": f"{first_day}", "end": f"{last_day}",
    })

    # c) text that needs escaping and folding.
    text_day = today + timedelta(days=10)
    title = f"Grünkohlessen; Äpfel, Öl & Süßes — „Dorfkrug“ {run}"
    description = (
        "Erste Zeile: Grüße aus Rieder; bitte Teller, Besteck mitbringen.\n"
        "Zweite Zeile mit Backslash \\ und Doppelpunkt: 19:30 Uhr, Ü-30-Tanz; "
        "Straße über Brücke führt zum Saal – Ärzte, Öfen, Übungen, Füße, Größe, Maß, ÄÖÜäöüß€.\n"
        "\n"
        "Nach einer Leerzeile: Ende."
    )
    place = "Dorfgemeinschaftshaus, Hauptstraße 12; Saal „Über’m Bach“"
    text_event = create({
        "title": title, "description": description, "place": place,
        "start": f"{text_day}T18:30", "end": f"{text_day}T22:00",
    }, district_a)

    # d) the 31st of every month that has one, six times.
    day31 = today + timedelta(days=1)
    while day31.day != 31:
        day31 += timedelta(days=1)
    monthly = create({
        "title": f"Stammtisch am 31. {run}",
        "start": f"{day31}T18:00", "end": f"{day31}T20:00",
        "recurrence": "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=6",
    }, district_b)

    # e) a single event, cancelled.
    cancel_day = today + timedelta(days=20)
    cancelled = create({
        "title": f"Seniorennachmittag {run}",
        "start": f"{cancel_day}T15:00", "end": f"{cancel_day}T17:00",
    })
    api.request("POST", f"/api/v1/events/{cancelled['id']}/cancel", {"reason": "Krankheit"})

    # f) every Sunday 02:30-03:30, over both changes of the clocks.
    sunday = next_weekday(today, 6)
    while sunday in (spring, autumn):
        sunday += timedelta(days=7)
    night = create({
        "title": f"Nachtwanderung {run}",
        "start": f"{sunday}T02:30", "end": f"{sunday}T03:30",
        "recurrence": "FREQ=WEEKLY;BYDAY=SU;COUNT=53",
    })

    ours = {
        weekly["id"]: f"(a) weekly Tuesday {weekly['id']}",
        all_day["id"]: f"(b) all-day {all_day['id']}",
        text_event["id"]: f"(c) text {text_event['id']}",
        monthly["id"]: f"(d) monthly 31st {monthly['id']}",
        cancelled["id"]: f"(e) cancelled {cancelled['id']}",
        night["id"]: f"(f) Sunday 02:30 {night['id']}",
    }
    print(f"ical check (run {run}) against {base}, zone {zone.key}, "
          f"{span_start.date()} .. {span_stop.date()} (exclusive)")
    print(f"   district A: {district_a['slug']}, district B: {district_b['slug']}")
    print(f"   spring change {spring}, autumn change {autumn}; cancelled Tuesday "
          f"{cancelled_tuesday}, moved Tuesday {moved_tuesday} -> {moved_to} 20:00")
    for event_id, label in ours.items():
        print(f"   {label}")

    # ---- fetch and read the feeds
    views = {}
    for name, district in (("gemeinde.ics", None), (f"{district_a['slug']}.ics", district_a)):
        report.section(f"{name} against the query {'with district_id' if district else 'of the whole town'}")
        cal, _ = fetch_feed(api, report, name)
        vtimezones = [tz for tz in cal.walk("VTIMEZONE") if str(tz.get("TZID")) == zone.key]
        report.ok(len(vtimezones) == 1, f"{name}: one VTIMEZONE {zone.key}",
                  f"found {[str(t.get('TZID')) for t in cal.walk('VTIMEZONE')]}")
        vtz = vtimezones[0].to_tz(lookup_tzid=False) if vtimezones else None
        feed = feed_view(cal, span_start, span_stop, vtz)
        host = urllib.parse.urlsplit(base).netloc
        report.ok(feed["hosts"] <= {host}, f"{name}: every UID is <event id>@{host}",
                  f"hosts: {sorted(feed['hosts'])}")
        side = api_view(api, span_start, span_stop, district["id"] if district else None)
        compare(report, name, feed, side, ours)
        views[name] = (cal, feed, side)
        if district:
            report.ok(
                monthly["id"] not in feed["taking_place"] and monthly["id"] not in side["taking_place"],
                f"{name}: district B's series (d) is in neither this feed nor this query",
                f"feed: {monthly['id'] in feed['taking_place']}, query: {monthly['id'] in side['taking_place']}",
            )
            expected = {weekly["id"], all_day["id"], text_event["id"], night["id"]}
            report.ok(
                expected <= set(feed["taking_place"]) and expected <= set(side["taking_place"]),
                f"{name}: district A's and the town's events are in both",
                f"missing in the feed: {sorted(expected - set(feed['taking_place']))}, "
                f"in the query: {sorted(expected - set(side['taking_place']))}",
            )
        else:
            report.ok(set(ours) - {cancelled["id"]} <= set(feed["taking_place"]),
                      f"{name}: all five events that take place are in it",
                      f"missing: {sorted(set(ours) - {cancelled['id']} - set(feed['taking_place']))}")

    cal, feed, side = views["gemeinde.ics"]

    # ---- (a) the Tuesdays
    report.section("(a) every Tuesday 19:00-21:00 local, in summer and in winter")
    for source, dates in (("feed", feed["taking_place"][weekly["id"]]),
                          ("query", side["taking_place"][weekly["id"]])):
        moved = {p for p in dates if p[0].astimezone(zone).date() == moved_to}
        rest = dates - moved
        wrong = [p for p in rest
                 if p[0].astimezone(zone).weekday() != 1
                 or (p[0].astimezone(zone).time(), p[1].astimezone(zone).time()) != (time(19), time(21))]
        hours = {p[0].hour for p in rest}
        report.ok(not wrong and hours == {17, 18},
                  f"{source}: {len(rest)} Tuesdays at 19:00-21:00 local, UTC start hours {sorted(hours)}",
                  "not 19:00-21:00 on a Tuesday: "
                  + "; ".join(f"{p[0].astimezone(zone):%a %Y-%m-%d %H:%M}-{p[1].astimezone(zone):%H:%M}"
                              for p in sorted(wrong)[:10]) + f"; UTC start hours {sorted(hours)}")
        report.ok(moved == {(local(moved_to, time(20), zone).astimezone(UTC),
                             local(moved_to, time(22), zone).astimezone(UTC))},
                  f"{source}: the moved date is {moved_to} 20:00-22:00 local",
                  f"got {show_pairs(moved)}")
        cancelled_at = local(cancelled_tuesday, time(19), zone).astimezone(UTC)
        report.ok(all(p[0] != cancelled_at for p in dates),
                  f"{source}: {cancelled_tuesday} (cancelled) does not take place")
    report.ok(local(cancelled_tuesday, time(19), zone).astimezone(UTC) in feed["exdates"][weekly["id"]],
              f"feed: EXDATE {cancelled_tuesday} 19:00 local",
              f"EXDATEs: {show_pairs(feed['exdates'][weekly['id']])}")

    # ---- (b) all day
    report.section("(b) all-day, four days over a change of the clocks")
    component = next(c for c in cal.walk("VEVENT") if uid_event_id(c["UID"]) == all_day["id"])
    start_value, end_value = component["DTSTART"].dt, component["DTEND"].dt
    report.ok(
        not isinstance(start_value, datetime) and not isinstance(end_value, datetime)
        and (start_value, end_value) == (first_day, last_day + timedelta(days=1)),
        f"feed: DTSTART;VALUE=DATE {first_day:%Y%m%d}, DTEND;VALUE=DATE {last_day + timedelta(days=1):%Y%m%d} (exclusive)",
        f"got DTSTART {start_value!r}, DTEND {end_value!r}",
    )
    expected_pair = {(local(first_day, time(0), zone).astimezone(UTC),
                      local(last_day + timedelta(days=1), time(0), zone).astimezone(UTC))}
    report.ok(side["taking_place"][all_day["id"]] == expected_pair,
              "query: from local midnight of the first day to local midnight after the last",
              f"expected {show_pairs(expected_pair)}, got {show_pairs(side['taking_place'][all_day['id']])}")

    # ---- (c) text
    report.section("(c) text with umlauts, ; , \\ and a line break reads back as written")
    component = next(c for c in cal.walk("VEVENT") if uid_event_id(c["UID"]) == text_event["id"])
    for prop, written in (("SUMMARY", title), ("DESCRIPTION", description), ("LOCATION", place)):
        got = str(component.get(prop, ""))
        report.ok(got == written, f"feed {prop}", f"written: {written!r}\nread:    {got!r}")
    stored = api.request("GET", f"/api/v1/events/{text_event['id']}")
    report.ok((stored["title"], stored["description"], stored["place"]) == (title, description, place),
              "API getEvent title, description, place")

    # ---- (d) monthly
    report.section("(d) FREQ=MONTHLY;BYMONTHDAY=31;COUNT=6")
    for source, dates in (("feed", feed["taking_place"].get(monthly["id"], set())),
                          ("query", side["taking_place"].get(monthly["id"], set()))):
        days = sorted(p[0].astimezone(zone) for p in dates)
        report.ok(len(days) == 6 and all(d.day == 31 and d.time() == time(18) for d in days),
                  f"{source}: six dates, each the 31st at 18:00 local",
                  ", ".join(f"{d:%Y-%m-%d %H:%M}" for d in days))

    # ---- (e) cancelled
    report.section("(e) the cancelled single event")
    component = next((c for c in cal.walk("VEVENT") if uid_event_id(c["UID"]) == cancelled["id"]), None)
    report.ok(component is not None and str(component.get("STATUS", "")).upper() == "CANCELLED",
              "feed: STATUS:CANCELLED", f"got {component and component.get('STATUS')!r}")
    report.ok(cancelled["id"] not in side["taking_place"] and bool(side["cancelled"].get(cancelled["id"])),
              "query: absent without include_cancelled, cancelled with it")

    # ---- (f) the Sunday night
    report.section("(f) every Sunday 02:30 local: the skipped and the doubled hour")
    gap = local(spring, time(2, 30), zone).astimezone(UTC)          # fold=0: offset before the gap
    twice = local(autumn, time(2, 30), zone).astimezone(UTC)        # fold=0: the first 02:30
    for source, dates in (("feed", feed["taking_place"].get(night["id"], set())),
                          ("query", side["taking_place"].get(night["id"], set()))):
        by_day = {p[0].astimezone(zone).date() if p[0] not in (gap, twice) else None: p for p in dates}
        on_gap = [p for p in dates if p[0].astimezone(UTC).date() == spring or
                  p[0].astimezone(zone).date() == spring]
        on_twice = [p for p in dates if p[0].astimezone(zone).date() == autumn]
        report.ok([p[0] for p in on_gap] == [gap],
                  f"{source}: {spring} 02:30 (skipped) starts at {show(gap)} (RFC 5545: offset before the gap)",
                  f"got {show_pairs(on_gap)}")
        report.ok([p[0] for p in on_twice] == [twice],
                  f"{source}: {autumn} 02:30 (twice) starts at {show(twice)} (RFC 5545: the first)",
                  f"got {show_pairs(on_twice)}")
        others = [p for p in dates if p not in on_gap and p not in on_twice]
        wrong = [p for p in others if (p[0].astimezone(zone).weekday(), p[0].astimezone(zone).time(),
                                       p[1] - p[0]) != (6, time(2, 30), timedelta(hours=1))]
        report.ok(not wrong, f"{source}: the other {len(others)} Sundays at 02:30-03:30 local",
                  show_pairs(wrong))
        del by_day

    # ---- verdict
    print()
    if report.mismatches:
        print(f"ical check: {len(report.mismatches)} of {report.checks} checks FAILED:")
        for what in report.mismatches:
            print(f"  - {what}")
        return 1
    versions = ", ".join(f"{name} {metadata.version(name)}"
                         for name in ("icalendar", "recurring-ical-events"))
    print(f"ical check: all {report.checks} checks passed (run {run}; {versions})")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4:
        args = sys.argv[1:]
    elif len(sys.argv) == 1 and all(
        os.environ.get(k) for k in ("DORFAPP_BASE_URL", "DORFAPP_ADMIN_EMAIL", "DORFAPP_ADMIN_PASSWORD")
    ):
        args = [os.environ[k] for k in ("DORFAPP_BASE_URL", "DORFAPP_ADMIN_EMAIL", "DORFAPP_ADMIN_PASSWORD")]
    else:
        raise SystemExit(__doc__)
    sys.exit(main(*args))
