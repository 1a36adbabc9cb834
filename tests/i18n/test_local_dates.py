"""Dates in the viewer's zone and locale; relative days, and business days for due dates."""

import datetime as dt

import pytest
import time_machine
from django.template import Context, Template
from django.utils import timezone, translation

from tracker.templatetags.local_dates import dense_datetime, due_in, relative_days

TUESDAY_9_JST = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)  # 09:00 in Tokyo


@pytest.fixture
def tokyo():
    with timezone.override("Asia/Tokyo"):
        yield


def test_a_moment_in_a_dense_table_is_month_day_weekday_and_time_in_japanese(tokyo):
    with translation.override("ja"):
        assert dense_datetime(TUESDAY_9_JST) == "12/1(火) 09:00"
        assert dense_datetime(dt.date(2027, 3, 31)) == "3/31(水)"
    with translation.override("en"):
        assert dense_datetime(TUESDAY_9_JST) == "Tue 1 Dec 09:00"


def test_the_viewers_zone_moves_the_time_and_the_day():
    with translation.override("ja"), timezone.override("America/New_York"):
        assert dense_datetime(TUESDAY_9_JST) == "11/30(月) 19:00"


def test_dates_in_japanese_pages_are_written_the_japanese_way(tokyo):
    with translation.override("ja"):
        rendered = Template("{{ day|date }} / {{ moment|date:'DATETIME_FORMAT' }}").render(
            Context({"day": dt.date(2027, 3, 31), "moment": TUESDAY_9_JST})
        )
    assert rendered == "2027年3月31日 / 2026年12月1日 09:00"


@pytest.mark.parametrize(
    ("day", "ja", "en"),
    [
        (dt.date(2026, 12, 1), "今日", "today"),
        (dt.date(2026, 12, 2), "明日", "tomorrow"),
        (dt.date(2026, 11, 30), "昨日", "yesterday"),
        (dt.date(2026, 12, 4), "3日後", "in 3 days"),
        (dt.date(2026, 11, 29), "2日前", "2 days ago"),
    ],
)
def test_relative_days_read_naturally(day, ja, en):
    today = dt.date(2026, 12, 1)
    with translation.override("ja"):
        assert relative_days(day, today) == ja
    with translation.override("en"):
        assert relative_days(day, today) == en


@time_machine.travel(dt.datetime(2026, 11, 30, 15, 30, tzinfo=dt.UTC), tick=False)  # 00:30 on 1 Dec in Tokyo
def test_today_is_the_viewers_today(tokyo):
    with translation.override("ja"):
        assert relative_days(dt.date(2026, 12, 1)) == "今日"


def test_due_days_skip_weekends_and_holidays():
    friday = dt.date(2027, 4, 30)  # then the weekend, 3-5 May are holidays (ゴールデンウィーク)
    with translation.override("ja"):
        assert due_in(dt.date(2027, 5, 6), friday) == "あと1営業日"
        assert due_in(dt.date(2027, 4, 30), friday) == "本日期限"
        assert due_in(dt.date(2027, 4, 27), friday) == "2営業日超過"  # 29 April is 昭和の日
        assert due_in(dt.date(2027, 5, 3), friday) == "休み明けが期限"
    with translation.override("en"):
        assert due_in(dt.date(2027, 5, 6), friday) == "1 business day left"
        assert due_in(dt.date(2027, 4, 27), friday) == "2 business days overdue"
