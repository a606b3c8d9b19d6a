
from ingest.settings import Settings, describe
from tests.paths import REPO

DOCS = REPO / "docs" / "operations.md"


def test_every_setting_is_documented_with_its_help() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for name, _default, help_text in describe():
        assert f"`{name}`" in text and help_text in text, name


def test_with_keeps_settings_given_as_none() -> None:
    s = Settings().with_(per_host=5, host_delay=None)
    assert s.per_host == 5 and s.host_delay == Settings().host_delay
