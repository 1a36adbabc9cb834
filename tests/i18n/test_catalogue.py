"""The Japanese catalogue is complete: every marked string is translated, none fuzzy.

`makemessages` runs over the product into a copy of locale/, so a string marked
since the catalogue was last written shows up here as untranslated.
"""

import re
import shutil
import subprocess

import pytest
from django.conf import settings
from django.core.management import call_command

IGNORED = [".venv", "node_modules", "staticfiles", "tests", "benchmarks", "artifacts", "locale"]


def statistics(po_file) -> dict[str, int]:
    """msgfmt's own count of translated, fuzzy and untranslated messages."""
    result = subprocess.run(
        ["msgfmt", "--check-format", "--statistics", "-o", "/dev/null", str(po_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    found = {kind: 0 for kind in ("translated", "fuzzy", "untranslated")}
    for number, kind in re.findall(r"(\d+) (translated|fuzzy|untranslated)", result.stderr):
        found[kind] = int(number)
    return found


def test_the_committed_catalogue_has_no_untranslated_or_fuzzy_entry():
    counts = statistics(settings.BASE_DIR / "locale/ja/LC_MESSAGES/django.po")
    assert counts["translated"] > 200
    assert (counts["fuzzy"], counts["untranslated"]) == (0, 0), counts


def test_makemessages_finds_no_string_missing_from_the_catalogue(tmp_path, monkeypatch, settings):
    shutil.copytree(settings.BASE_DIR / "locale", tmp_path / "locale")
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(settings.BASE_DIR)
    call_command("makemessages", locale=["ja"], ignore_patterns=IGNORED, verbosity=0)
    po_file = tmp_path / "locale/ja/LC_MESSAGES/django.po"
    text = po_file.read_text()
    counts = statistics(po_file)
    missing = re.findall(r'#, fuzzy\n(?:#.*\n)*msgid "(.*)"', text) + re.findall(
        r'msgid "(.+)"\nmsgstr ""\n\n', text
    )
    assert (counts["fuzzy"], counts["untranslated"]) == (0, 0), f"not in the ja catalogue: {missing}"


@pytest.mark.parametrize("language", ["ja"])
def test_the_compiled_catalogue_is_the_one_django_reads(language):
    from django.utils import translation

    with translation.override(language):
        assert translation.gettext("Log out") == "ログアウト"
