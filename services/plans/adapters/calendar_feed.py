"""A unit's deadlines as an iCalendar feed (RFC 5545, the `icalendar` package) that calendar clients subscribe to:
all-day events with a UID that stays the same from one fetch to the next (the client moves an event whose date
changed instead of adding another), reminders a week and a day before, and the calendar's name."""
from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Alarm, Calendar, Event, vDuration

from services.plans.domain.deadlines import Deadline

PRODID = "-//Dong Hanh//Ke hoach phong, chong ma tuy//VI"
UID_DOMAIN = "plans.donghanh"
REMINDERS = (timedelta(days=7), timedelta(days=1))
REFRESH = timedelta(hours=6)
TIMEZONE = "Asia/Ho_Chi_Minh"


class ICalendarFeed:
    def render(self, unit_code: str, calendar_name: str, deadlines: list[Deadline], stamped_at: datetime) -> bytes:
        calendar = Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", calendar_name)
        calendar.add("x-wr-timezone", TIMEZONE)
        calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(REFRESH))
        for deadline in deadlines:
            calendar.add_component(_event(unit_code, deadline, stamped_at))
        return calendar.to_ical()


def _event(unit_code: str, deadline: Deadline, stamped_at: datetime) -> Event:
    event = Event()
    event.add("uid", f"{unit_code}.{deadline.key}@{UID_DOMAIN}")
    event.add("dtstamp", stamped_at)
    event.add("dtstart", deadline.due_on)
    event.add("dtend", deadline.due_on + timedelta(days=1))
    event.add("summary", deadline.summary)
    event.add("description", deadline.description)
    event.add("transp", "TRANSPARENT")
    for before in REMINDERS:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Còn {before.days} ngày: {deadline.summary}")
        alarm.add("trigger", -before)
        event.add_component(alarm)
    return event
