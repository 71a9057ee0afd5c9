"""One duration library for timers, due dates and expressions: calendar months and years (P3M, P1Y),
working days (P5WD), dates from expressions; texts that cannot be read are refused at load."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from workflows.errors import ProcessDefinitionError
from workflows.models import TaskRow, TimerRow, utcnow
from workflows.timeutil import CalendarDuration, add_duration, due_after, parse_duration

UTC = timezone.utc

CALENDAR = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="calendar_defs" targetNamespace="https://careflow.example.org/test">
  <bpmn:process id="calendar_timers" name="Calendar timers" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="assess" name="Assess">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="dueIn" value="P5WD"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="assessment_a_year_old" name="A year on" attachedToRef="assess" cancelActivity="false">
      <bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"P1Y"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="chase" name="Chase the assessment"><bpmn:incoming>f5</bpmn:incoming>
      <bpmn:outgoing>f6</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="chased"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
    <bpmn:intermediateCatchEvent id="three_months_on" name="Three months on">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>P3M</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="review" name="Review">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="dueIn" value="P1Y"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="assess"/>
    <bpmn:sequenceFlow id="f2" sourceRef="assess" targetRef="three_months_on"/>
    <bpmn:sequenceFlow id="f3" sourceRef="three_months_on" targetRef="review"/>
    <bpmn:sequenceFlow id="f4" sourceRef="review" targetRef="end"/>
    <bpmn:sequenceFlow id="f5" sourceRef="assessment_a_year_old" targetRef="chase"/>
    <bpmn:sequenceFlow id="f6" sourceRef="chase" targetRef="chased"/>
  </bpmn:process>
  <bpmn:process id="dated_timer" name="A date from the case" isExecutable="true">
    <bpmn:startEvent id="d_start"><bpmn:outgoing>d1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="month_after_start" name="A month after the start date">
      <bpmn:incoming>d1</bpmn:incoming><bpmn:outgoing>d2</bpmn:outgoing>
      <bpmn:timerEventDefinition>
        <bpmn:timeDate>add_duration(parse_date(startedOn), "P1M")</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="d_end"><bpmn:incoming>d2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="d1" sourceRef="d_start" targetRef="month_after_start"/>
    <bpmn:sequenceFlow id="d2" sourceRef="month_after_start" targetRef="d_end"/>
  </bpmn:process>
</bpmn:definitions>
"""


# ---- the library ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "start", "expected"), [
    ("P3M", date(2026, 11, 30), date(2027, 2, 28)),       # no 30 February: the month's last day
    ("P1M", date(2028, 1, 31), date(2028, 2, 29)),        # a leap year
    ("P1Y", date(2028, 2, 29), date(2029, 2, 28)),
    ("P1Y2M10D", date(2026, 1, 1), date(2027, 3, 11)),
    ("P2W", date(2026, 1, 1), date(2026, 1, 15)),
    ("P5WD", date(2026, 12, 24), date(2027, 1, 5)),       # Christmas, Boxing Day (moved) and New Year skipped
    ("-P3M", date(2026, 5, 31), date(2026, 2, 28)),
])
def test_durations_move_dates_as_a_calendar_does(text, start, expected):
    assert add_duration(start, text) == expected
    assert start + parse_duration(text) == expected


def test_exact_durations_stay_timedeltas_and_calendar_ones_keep_their_text():
    assert parse_duration("PT4H30M") == timedelta(hours=4, minutes=30)
    assert parse_duration("P1DT12H") == timedelta(days=1, hours=12)
    months = parse_duration("p3m")
    assert isinstance(months, CalendarDuration) and str(months) == "P3M"


@pytest.mark.parametrize("text", ["P", "PT", "P3X", "3M", "P1M2Y", "P1.5M", "P5WDX", "PT1D", "", None])
def test_texts_that_are_not_durations_are_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_due_after_reads_months_years_and_working_days():
    now = datetime(2026, 12, 24, 9, 0, tzinfo=UTC)
    assert due_after(now, "P3M") == now + relativedelta(months=3)
    assert due_after(now, "P1Y") == now + relativedelta(years=1)
    assert due_after(now, "P5WD") == datetime(2027, 1, 5, 9, 0, tzinfo=UTC)


def test_expressions_in_diagrams_use_the_same_durations():
    from workflows.expressions import evaluate_expression

    assert evaluate_expression("parse_date('2026-01-31') + parse_duration('P1M')", {}) == date(2026, 2, 28)
    assert evaluate_expression("parse_date('2026-12-24') + parse_duration('P5WD')", {}) == date(2027, 1, 5)


# ---- through the runtime ----------------------------------------------------------------------------
@pytest.fixture
def svc(tmp_path):
    from tests.timers.helpers import fixture_app

    (tmp_path / "bpmn").mkdir()
    (tmp_path / "bpmn" / "calendar_timers.bpmn").write_text(CALENDAR)
    app = fixture_app(tmp_path)
    services = app.extensions["careflow"]
    services.runtime.cache.size = 0  # every step restores the state: due times survive it
    yield services
    services.db.dispose()


def rows(svc, model, instance_id, **where):
    with svc.db.reading() as s:
        query = select(model).where(model.instance_id == instance_id)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return {r.element_id if model is TimerRow else r.name: r for r in s.scalars(query)}


def close(a, b):
    return abs(a - b) < timedelta(minutes=1)


def test_months_years_and_working_days_in_timers_and_due_dates(svc):
    from workflows.identity import Principal
    from workflows.timeutil import add_working_days

    started = utcnow()
    row = svc.runtime.start("calendar_timers", {})
    [assess] = rows(svc, TaskRow, row.id, state="open").values()
    assert close(assess.due_at, add_working_days(started, 5))
    timers = rows(svc, TimerRow, row.id, state="waiting")
    assert close(timers["assessment_a_year_old"].due_at, started + relativedelta(years=1))
    worker = Principal("casey.worker", "Casey", "caseworker", ())
    svc.runtime.complete_task(assess.id, {}, worker)
    timers = rows(svc, TimerRow, row.id, state="waiting")
    assert list(timers) == ["three_months_on"]  # the boundary timer went with its task
    three_months = timers["three_months_on"].due_at
    assert close(three_months, started + relativedelta(months=3))
    assert svc.runtime.fire_due_timers(now=three_months - timedelta(hours=1)) == 0
    assert svc.runtime.fire_due_timers(now=three_months + timedelta(minutes=1)) == 1
    review = rows(svc, TaskRow, row.id, state="open")["review"]
    assert close(review.due_at, review.created_at + relativedelta(years=1))


def test_a_timer_date_from_an_expression_over_the_case_data(svc):
    row = svc.runtime.start("dated_timer", {"startedOn": "2027-01-31"})
    [timer] = rows(svc, TimerRow, row.id).values()
    assert timer.kind == "date"
    assert timer.due_at == datetime(2027, 2, 28, 0, 0, tzinfo=UTC)  # midnight in London (GMT then)


# ---- refused at load ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("old", "new", "element"), [
    ("<bpmn:timeDuration>P3M</bpmn:timeDuration>", "<bpmn:timeDuration>P3X</bpmn:timeDuration>",
     "three_months_on"),
    ("<bpmn:timerEventDefinition><bpmn:timeDuration>P3M",
     '<bpmn:timerEventDefinition id="three_months_def"><bpmn:timeDuration>P3Y2', "three_months_on"),
    ('<bpmn:timeDuration>"P1Y"</bpmn:timeDuration>', '<bpmn:timeDuration>"P1Q"</bpmn:timeDuration>',
     "assessment_a_year_old"),
    ("<bpmn:timeDuration>P3M</bpmn:timeDuration>", "<bpmn:timeCycle>R3/P1Q</bpmn:timeCycle>", "three_months_on"),
    ("<bpmn:timeDuration>P3M</bpmn:timeDuration>", "<bpmn:timeDate>2027-13-45</bpmn:timeDate>", "three_months_on"),
    ("<bpmn:timeDuration>P3M</bpmn:timeDuration>", "<bpmn:timeDuration></bpmn:timeDuration>", "three_months_on"),
    ('<bpmn:timeDuration>"P1Y"</bpmn:timeDuration>',
     '<bpmn:timeDuration>__import__("os").getcwd()</bpmn:timeDuration>', "assessment_a_year_old"),
    ('name="dueIn" value="P5WD"', 'name="dueIn" value="P5DW"', "assess"),
    ('name="dueIn" value="P1Y"', 'name="dueIn" value="P1Y3"', "review"),
])
def test_timers_and_due_dates_that_cannot_be_read_are_refused_naming_element_and_line(svc, old, new, element):
    broken = CALENDAR.replace(old, new, 1)
    assert broken != CALENDAR
    with pytest.raises(ProcessDefinitionError) as err:
        svc.library.build({"calendar_timers.bpmn": broken}, {})
    assert err.value.element == element and err.value.file == "calendar_timers.bpmn"
    assert new in broken.splitlines()[err.value.line - 1]


def test_timer_texts_that_are_expressions_are_accepted_at_load(svc):
    variable = CALENDAR.replace("<bpmn:timeDuration>P3M</bpmn:timeDuration>",
                                "<bpmn:timeDuration>reviewAfter</bpmn:timeDuration>")
    built, _ = svc.library.build({"calendar_timers.bpmn": variable}, {})
    assert {p.process_id for p in built} == {"calendar_timers", "dated_timer"}


MONTHLY = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="monthly_defs"
                  targetNamespace="https://careflow.example.org/test">
  <bpmn:process id="monthly_visits" name="Monthly visits while the placement lasts" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="placement" name="Placement"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="every_month" name="Every month" attachedToRef="placement" cancelActivity="false">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeCycle>R2/P1M</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="visit" name="Visit"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="visited"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="placement"/>
    <bpmn:sequenceFlow id="f2" sourceRef="placement" targetRef="end"/>
    <bpmn:sequenceFlow id="f3" sourceRef="every_month" targetRef="visit"/>
    <bpmn:sequenceFlow id="f4" sourceRef="visit" targetRef="visited"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_monthly_cycle_fires_a_calendar_month_on_and_repeats(tmp_path):
    from tests.timers.helpers import fixture_app

    (tmp_path / "bpmn").mkdir()
    (tmp_path / "bpmn" / "monthly_visits.bpmn").write_text(MONTHLY)
    svc = fixture_app(tmp_path).extensions["careflow"]
    try:
        started = utcnow()
        row = svc.runtime.start("monthly_visits", {})
        [first] = rows(svc, TimerRow, row.id, state="waiting").values()
        assert first.kind == "cycle" and close(first.due_at, started + relativedelta(months=1))
        assert svc.runtime.fire_due_timers(now=first.due_at + timedelta(minutes=1)) == 1
        assert sorted(t.name for t in rows(svc, TaskRow, row.id, state="open").values()) == ["placement", "visit"]
        [second] = rows(svc, TimerRow, row.id, state="waiting").values()
        assert close(second.due_at, first.due_at + relativedelta(months=1))  # a calendar month again
        assert svc.runtime.fire_due_timers(now=second.due_at + timedelta(minutes=1)) == 1
        assert len([t for t in rows(svc, TaskRow, row.id, state="open").values()]) == 2  # keyed by name
        assert rows(svc, TimerRow, row.id, state="waiting") == {}  # two cycles, then the timer is done
        assert svc.runtime.fire_due_timers(now=second.due_at + relativedelta(months=3)) == 0
    finally:
        svc.db.dispose()
