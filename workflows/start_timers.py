"""Timer start events: "review every 12 months" starts a new instance at each firing, durably and once.

SpiffWorkflow would keep a timer start event waiting inside one instance (and a cycle would pile
copies of the first task into it). careflow runs the schedule itself, like its other timers
(DESIGN.md decision 3): deploying a version with a timer start event writes a ``start_timer`` row,
tied to the process rather than to an instance; the scheduler claims each due row (``FOR UPDATE
SKIP LOCKED`` on PostgreSQL), starts one instance and moves the row to its next firing in the same
transaction, so a firing starts exactly one instance even with several workers or a crash between.

* ``timeDate``: once, at that date-time; ``timeDuration``: once, that long after the deploy;
* ``timeCycle``: ``R5/PT1H``, ``R/P12M`` (for ever) or ``R3/2027-01-01T09:00:00Z/P1M`` (from a start).
  Firings missed while no worker ran fire once, then the cycle goes on from the next due time.

A new version keeps a running schedule when its timer is unchanged, and replaces it otherwise.
In the instance the timer start event is an ordinary start (see ``workflows/drawn.py``), so a case
started by hand, or by the API, of such a process starts at once.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta
from lxml import etree
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from .models import ProcessVersion, StartTimer, utcnow

if TYPE_CHECKING:
    from .runtime import Runtime

B = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
KINDS = {"timeDate": "date", "timeDuration": "duration", "timeCycle": "cycle"}
_ISO_DURATION = re.compile(r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                           r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_WORKING_DAYS = re.compile(r"^P(\d+)WD$")


@dataclass(frozen=True)
class Plan:
    """When a timer start event first fires, how often, and the interval between firings."""

    element_id: str
    kind: str
    expression: str
    due_at: datetime
    remaining: int  # -1: for ever
    interval: str | None


def timer_starts(root: etree._Element, process_id: str) -> list[tuple[etree._Element, etree._Element]]:
    """The (start event, time element) pairs of the process's own timer start events."""
    found = []
    for process in root.iter(f"{B}process"):
        if process.get("id") != process_id:
            continue
        for event in process.iterchildren(f"{B}startEvent"):
            definition = event.find(f"{B}timerEventDefinition")
            if definition is None:
                continue
            for el in definition:
                if isinstance(el.tag, str) and etree.QName(el).localname in KINDS:
                    found.append((event, el))
    return found


def plan(event: etree._Element, el: etree._Element, now: datetime) -> Plan:
    """Read a timer start event; raises ValueError saying what is wrong with its text."""
    kind = KINDS[etree.QName(el).localname]
    text = (el.text or "").strip()
    value = _value(text)
    if kind == "date":
        return Plan(event.get("id", ""), kind, text, _datetime(value), 1, None)
    if kind == "duration":
        return Plan(event.get("id", ""), kind, text, add_iso(now, str(value)), 1, None)
    cycle = str(value).strip()
    count, _, rest = cycle[1:].partition("/") if cycle.startswith("R") else ("", "", "")
    parts = rest.split("/") if rest else []
    if not cycle.startswith("R") or (count and not count.isdigit()) or not 1 <= len(parts) <= 2:
        raise ValueError(f"'{cycle}' is not a repeating interval such as R/P12M or R3/2027-01-01T09:00:00Z/P1M")
    if len(parts) == 2:
        first, interval = _datetime(parts[0]), parts[1]
    else:
        interval = parts[0]
        first = add_iso(now, interval)
    add_iso(now, interval)  # the interval must read as a duration
    return Plan(event.get("id", ""), kind, text, first, int(count) if count else -1, interval)


def add_iso(start: datetime, text: str) -> datetime:
    """``start`` plus an ISO 8601 duration (years and months as a calendar counts them) or ``P<n>WD``."""
    working = _WORKING_DAYS.match(text.strip())
    if working:
        from .timeutil import add_working_days

        moved = add_working_days(start, int(working.group(1)))
        return moved if isinstance(moved, datetime) else datetime.combine(moved, start.timetz())
    match = _ISO_DURATION.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not an ISO 8601 duration such as PT1H, P7D or P12M")
    years, months, weeks, days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return start + relativedelta(years=int(years), months=int(months)) + timedelta(
        weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def _value(text: str) -> Any:
    if not text:
        raise ValueError("the timer is empty")
    if re.match(r"^(R\d*/|P\d|PT\d|\d{4}-\d{2}-\d{2})", text):
        return text
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        from .expressions import evaluate_expression

        return evaluate_expression(text, {})  # an expression without case data (no case exists yet)


def _datetime(value: Any) -> datetime:
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=timezone.utc)
    raise ValueError(f"{value!r} is not a date-time")


def check(root: etree._Element, filename: str) -> None:
    """Refuse, at validate, a timer start event whose text gives no schedule."""
    from .errors import ProcessDefinitionError

    for process in root.iter(f"{B}process"):
        for event, el in timer_starts(root, process.get("id", "")):
            try:
                plan(event, el, utcnow())
            except Exception as exc:  # noqa: BLE001  whatever the text does, it is the diagram's error
                raise ProcessDefinitionError(f"Timer start event '{event.get('id')}' cannot be scheduled: {exc}",
                                             file=filename, element=event.get("id"), line=el.sourceline) from None


def schedule(session: Session, version: ProcessVersion, main_xml: str, now: datetime | None = None) -> None:
    """Make the deployed ``version``'s timer start events the process's schedule (called on deploy)."""
    clock = now or utcnow()
    root = etree.fromstring(main_xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    wanted = {event.get("id"): (event, el) for event, el in timer_starts(root, version.process_id)}
    current = session.scalars(select(StartTimer).where(StartTimer.process_id == version.process_id,
                                                       StartTimer.state == "waiting")).all()
    kept: set[str] = set()
    for row in current:
        found = wanted.get(row.element_id)
        if found is not None and (found[1].text or "").strip() == row.expression and row.element_id not in kept:
            row.process_version_id = version.id  # unchanged timer: the schedule runs on
            kept.add(row.element_id)
        else:
            row.state = "cancelled"
    for element_id, (event, el) in wanted.items():
        if element_id in kept:
            continue
        planned = plan(event, el, clock)
        session.add(StartTimer(process_id=version.process_id, process_version_id=version.id,
                               element_id=planned.element_id, kind=planned.kind, expression=planned.expression,
                               due_at=planned.due_at, interval=planned.interval, remaining=planned.remaining,
                               fired_count=0, state="waiting", created_at=clock))


def _claim(runtime: Runtime, clock: datetime, limit: int) -> Any:
    query = (select(StartTimer).where(StartTimer.state == "waiting", StartTimer.due_at <= clock)
             .order_by(StartTimer.due_at).limit(limit))
    if runtime.db.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return query


def fire_due(runtime: Runtime, now: datetime | None = None, limit: int = 25) -> list[str]:
    """Start one instance for each due timer start event (one transaction); returns the instances' ids."""
    from .errors import CareflowError

    clock = now or utcnow()
    started: list[str] = []
    with runtime.transaction() as session:
        for row in session.scalars(_claim(runtime, clock, limit)).all():
            try:
                with session.begin_nested():
                    instance = runtime.start_in(
                        session, row.process_id, {"startedByTimer": row.element_id}, actor="timer",
                        business_key=f"start-timer:{row.id}:{row.fired_count + 1}")
                    _advance(row, clock)
                    row.last_instance_id = instance.id
                    started.append(instance.id)
            except CareflowError as exc:  # the process is gone or cannot start: visible on the row
                row.state, row.last_error = "failed", exc.message[:2000]
            except DBAPIError:
                raise  # the database is busy or gone: the row is still waiting for the next poll
            except Exception as exc:  # noqa: BLE001  one bad timer must not hold back the others for ever
                row.state, row.last_error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
    return started


def _advance(row: StartTimer, clock: datetime) -> None:
    row.fired_count += 1
    row.last_fired_at = clock
    if row.remaining > 0:
        row.remaining -= 1
    if row.remaining == 0 or not row.interval:
        row.state = "done"
        return
    due = add_iso(row.due_at, row.interval)
    while due <= clock:  # missed while no worker ran: fired once above, then on with the cycle
        due = add_iso(due, row.interval)
    row.due_at = due


def any_due(runtime: Runtime, now: datetime | None = None) -> bool:
    with runtime.db.reading() as session:
        return session.scalars(select(StartTimer.id).where(
            StartTimer.state == "waiting", StartTimer.due_at <= (now or utcnow())).limit(1)).first() is not None
