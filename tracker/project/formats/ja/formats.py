"""Japanese date formats as an ops team writes them: 2026年12月1日, 12/1(火) 09:00 in dense tables.

Django's own ja formats use `Y/m/d`; letters of a weekday come from the `D` format (月, 火, ...).
"""

DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "n月j日"
YEAR_MONTH_FORMAT = "Y年n月"
SHORT_DATE_FORMAT = "Y/m/d"
SHORT_DATETIME_FORMAT = "Y/m/d H:i"
# Tables with many rows: month/day, the weekday, the time (tracker_tags.dense_datetime).
DENSE_DATETIME_FORMAT = "n/j(D) H:i"
DENSE_DATE_FORMAT = "n/j(D)"
FIRST_DAY_OF_WEEK = 0
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
