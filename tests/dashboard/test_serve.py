"""The server command carries the same settings as .streamlit/config.toml (which only applies from the repo root)."""

import tomllib

from dashboard.serve import APP, SERVER, THEME, streamlit_command
from tests.paths import REPO

CONFIG = REPO / ".streamlit" / "config.toml"


def test_flags_match_config_toml():
    cfg = tomllib.loads(CONFIG.read_text())
    flat = {f"{section}.{k}": v for section, table in cfg.items() for k, v in table.items()}
    for key, value in {**SERVER, **THEME}.items():
        want = flat[key]
        assert str(want).lower() == value.lower(), key
    assert flat["server.address"] == "127.0.0.1"


def test_command_binds_loopback_by_default():
    argv = streamlit_command(port=8600)
    assert argv[1:4] == ["-m", "streamlit", "run"] and argv[4] == str(APP)
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    assert argv[argv.index("--server.port") + 1] == "8600"
    assert argv[argv.index("--theme.primaryColor") + 1] == "#B3261E"
