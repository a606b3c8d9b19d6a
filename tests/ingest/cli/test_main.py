"""The `newsmon` command: help texts, one-line errors with exit codes, the ingest and store commands."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ingest.cli.main import parse_interval
from tests.localserver import LocalServer, reply
from tests.pages import rss, site
from tests.paths import REPO, SHARED_DATA

SEED = SHARED_DATA / "seed"


def entry_point() -> click.Group:
    """The installed `newsmon`: pyproject's [project.scripts] target, imported as the console script imports it.

    Resolving it here (not importing ingest.cli.main's group) is what makes the command set whole whatever ran
    before: `dashboard`, `demo`, `alerts` and `digest` join ingest's group only when dashboard.cli is imported."""
    target = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]["newsmon"]
    return pkgutil.resolve_name(target)


def command_paths(group: click.Group) -> list[tuple[str, ...]]:
    """Every command under `group`, subcommands included, as the words that name it after `newsmon`."""
    paths: list[tuple[str, ...]] = [()]
    for name, cmd in sorted(group.commands.items()):
        paths += [(name, *rest) for rest in command_paths(cmd)] if isinstance(cmd, click.Group) else [(name,)]
    return paths


main = entry_point()
COMMANDS = command_paths(main)


def test_the_entry_point_has_every_layers_commands() -> None:
    # A floor, so that a walk that finds too little cannot pass: one command of each stage and those dashboard.cli adds.
    assert {("ingest",), ("extract",), ("mentions", "find"), ("sources", "check"), ("store", "info"),
            ("dashboard",), ("demo",), ("alerts", "check"), ("digest",)} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "newsmon")
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    cmd = main
    for name in command:
        cmd = cmd.commands[name]
    result = CliRunner().invoke(main, [*command, "--help"], prog_name="newsmon")
    assert result.exit_code == 0 and f"Usage: newsmon {' '.join(command)}".rstrip() in result.output
    summary = cmd.help.split("\n\n")[0] if cmd.help else ""
    assert summary and " ".join(summary.split()) in " ".join(result.output.split())  # its own text, not only options


def test_the_installed_command_lists_the_same_commands() -> None:
    # A fresh interpreter, as a user's shell runs it: nothing imported beforehand by other tests.
    script = Path(sys.executable).with_name("newsmon")
    if not script.exists():
        pytest.skip(f"newsmon is not installed beside {sys.executable} (pip install -e '.[dev]')")
    listed = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, check=True).stdout
    for name in {c[0] for c in COMMANDS if c}:
        assert f"\n  {name} " in listed, name


def test_ingest_without_a_source_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["ingest"])
    assert result.exit_code == 2 and "give at least one source" in result.output


def test_bad_watchlist_is_one_line_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "watch.toml"
    bad.write_text('[[person]]\nid = "x"\nname = 3\n')
    pages = tmp_path / "pages"
    pages.mkdir()
    result = CliRunner().invoke(main, ["ingest", "--html-dir", str(pages), "--watchlist", str(bad),
                                       "--store", str(tmp_path / "s")])
    assert result.exit_code == 1
    assert str(bad) in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_bad_sources_file_names_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "sources.toml"
    bad.write_text('[[source]]\nname = "A"\nkind = "feed"\nurl = "https://a.example/rss"\n\n'
                   '[[source]]\nname = "B"\nkind = "telegraph"\nurl = "https://b.example/"\n')
    result = CliRunner().invoke(main, ["ingest", "--sources", str(bad), "--store", str(tmp_path / "s")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert str(bad) in result.output and "kind" in result.output and ":8:" in result.output  # the line of kind in the second entry


def test_unwritable_store_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    pages = tmp_path / "pages"
    pages.mkdir()
    result = CliRunner().invoke(main, ["ingest", "--html-dir", str(pages), "--store", str(blocker / "store"),
                                       "--no-progress"])
    assert result.exit_code == 1 and "cannot create the store" in result.output and "Traceback" not in result.output


@pytest.mark.skipif(not (SEED / "article.html").exists(), reason="seed page not found")
def test_ingest_then_store_info(tmp_path: Path) -> None:
    runner = CliRunner()
    store = str(tmp_path / "store")
    first = runner.invoke(main, ["ingest", "--html-dir", str(SEED), "--store", store, "--no-progress", "--processes", "0"])
    assert first.exit_code == 0, first.output
    assert "The Moscow Times" in first.output and "total" in first.output
    info = runner.invoke(main, ["store", "info", "--store", store])
    assert info.exit_code == 0 and "1 articles" in info.output


def test_sources_file_visits_only_due_sources(tmp_path: Path) -> None:
    pages, items = site(3)
    routes = {p: reply(body, ctype=ct) for p, (ct, body) in pages.items()}
    with LocalServer(routes) as srv:
        routes["/rss"] = reply(rss(srv.url, items), ctype="application/rss+xml")
        conf = tmp_path / "sources.toml"
        conf.write_text(f'[[source]]\nname = "Test Daily"\nkind = "feed"\nurl = "{srv.url}/rss"\ninterval = "1h"\n')
        args = ["ingest", "--sources", str(conf), "--store", str(tmp_path / "s"), "--allow-private", "--no-progress",
                "--processes", "0"]
        first = CliRunner().invoke(main, args)
        second = CliRunner().invoke(main, args)
    assert first.exit_code == 0 and "Test Daily" in first.output, first.output
    assert srv.hits["/rss"] == 1
    assert second.exit_code == 5 and "no source is due yet" in second.output  # nothing new


@pytest.mark.parametrize(("text", "seconds"), [("15m", 900), ("1h", 3600), ("90s", 90), ("1h30m", 5400), ("2d", 172800)])
def test_parse_interval(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "15", "fast", "10s", "-5m"])
def test_parse_interval_rejects(text: str) -> None:
    import click

    with pytest.raises(click.BadParameter):
        parse_interval(text)


def test_exit_status_tells_stored_some_failed_all_failed_and_nothing_new(tmp_path: Path) -> None:
    """cron can tell the outcomes apart (docs/operations.md): 0 stored, 4 some sources failed, 3 all failed,
    5 nothing new; the failures are printed by reason and source with their first URLs."""
    pages, items = site(3)
    routes = {p: reply(body, ctype=ct) for p, (ct, body) in pages.items()}
    with LocalServer(routes) as srv:
        routes["/rss"] = reply(rss(srv.url, items + [("Gone", "/gone/1", items[0][2]), ("Gone", "/gone/2", items[0][2])]),
                               ctype="application/rss+xml")
        base = ["ingest", "--store", str(tmp_path / "s"), "--allow-host", srv.url.removeprefix("http://"),
                "--no-progress", "--processes", "0", "--host-delay", "0"]
        first = CliRunner().invoke(main, [*base, "--feed", srv.url + "/rss"])
        again = CliRunner().invoke(main, [*base, "--feed", srv.url + "/rss"])
        some = CliRunner().invoke(main, [*base, "--feed", srv.url + "/rss", "--feed", srv.url + "/missing-feed"])
        none = CliRunner().invoke(main, [*base, "--feed", srv.url + "/missing-feed", "--feed", srv.url + "/other"])
    assert first.exit_code == 0, first.output
    assert f"http-404  Test Daily (2): {srv.url}/gone/1  {srv.url}/gone/2" in first.output, first.output
    assert again.exit_code == 5 and "nothing new (exit 5)" in again.output, again.output
    assert some.exit_code == 4 and "feed-http-404" in some.output, some.output
    assert none.exit_code == 3 and "all failed (exit 3)" in none.output, none.output


def test_verbose_is_accepted_after_the_command(tmp_path: Path) -> None:
    import logging

    for args in (["ingest", "--html-dir", str(tmp_path), "-v"], ["store", "info", "--store", str(tmp_path), "-vv"],
                 ["-v", "ingest", "--html-dir", str(tmp_path), "--verbose"]):
        logging.getLogger().setLevel(logging.ERROR)
        result = CliRunner().invoke(main, args)
        assert result.exit_code != 2, (args, result.output)  # not a usage error
        assert logging.getLogger().level == (logging.DEBUG if args[-1] in ("-vv", "--verbose") else logging.WARNING)


def test_allow_host_is_checked(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["ingest", "--feed", "http://x.example/rss", "--allow-host", "127.0.0.1:99999",
                                       "--store", str(tmp_path / "s")])
    assert result.exit_code == 2 and "--allow-host" in result.output and "out of range" in result.output


def test_allow_host_reaches_its_server_and_nothing_else(tmp_path: Path) -> None:
    """Without --allow-private, --allow-host HOST:PORT lets the run reach the local server, while a redirect
    from it to another local port is still refused."""
    pages, items = site(2)
    with LocalServer({}) as other:
        routes = {p: reply(body, ctype=ct) for p, (ct, body) in pages.items()}
        routes["/hop"] = lambda h: (h.send_response(302), h.send_header("Location", other.url + "/x"), h.end_headers())
        with LocalServer(routes) as srv:
            routes["/rss"] = reply(rss(srv.url, items + [("hop", "/hop", items[0][2])]), ctype="application/rss+xml")
            result = CliRunner().invoke(main, ["ingest", "--feed", srv.url + "/rss", "--store", str(tmp_path / "s"),
                                               "--allow-host", srv.url.removeprefix("http://"), "--no-progress",
                                               "--processes", "0", "--host-delay", "0"])
    assert result.exit_code == 0, result.output  # a failed page does not make a failed source
    assert "private-address  Test Daily (1)" in result.output and "/x" not in other.hits
    from ingest.store.parquet import Store

    assert Store(tmp_path / "s").count() == 2
