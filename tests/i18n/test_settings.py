"""Japanese by default, in Tokyo time; both overridable by environment, typos refused."""

from tests.test_deploy_check import _settings_value


def test_the_deployment_speaks_japanese_in_tokyo_time_by_default():
    result = _settings_value(
        {"LANGUAGE_CODE": "", "TIME_ZONE": ""}, "settings.LANGUAGE_CODE, settings.TIME_ZONE"
    )
    assert result.stdout.strip() == "ja Asia/Tokyo", result.stderr


def test_language_and_zone_come_from_the_environment():
    result = _settings_value(
        {"LANGUAGE_CODE": "en", "TIME_ZONE": "Europe/London"}, "settings.LANGUAGE_CODE, settings.TIME_ZONE"
    )
    assert result.stdout.strip() == "en Europe/London", result.stderr


def test_a_language_we_do_not_speak_stops_the_start():
    result = _settings_value({"LANGUAGE_CODE": "fr"}, "settings.LANGUAGE_CODE")
    assert result.returncode != 0
    assert "LANGUAGE_CODE='fr' is not one of ja, en" in result.stderr


def test_a_misspelt_time_zone_stops_the_start_instead_of_becoming_utc():
    result = _settings_value({"TIME_ZONE": "Asia/Tokio"}, "settings.TIME_ZONE")
    assert result.returncode != 0
    assert "TIME_ZONE='Asia/Tokio' is not a time zone name" in result.stderr
