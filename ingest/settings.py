"""Every ingest setting in one place: name, default, help (datasette's SETTINGS, as a frozen object)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from ingest import __version__

USER_AGENT = f"newsmon/{__version__} (self-hosted news monitor; +https://pypi.org/project/newsmon/)"


def _s(default, help: str):  # noqa: A002 - "help" reads best here
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    store: Path = _s(Path("data/store"), "Directory of the Parquet store.")
    watchlist: Path | None = _s(None, "Watchlist TOML file; the packaged default when unset.")
    connect_timeout: float = _s(10.0, "Seconds to wait for a TCP/TLS connection.")
    read_timeout: float = _s(20.0, "Seconds to wait between two reads of a response.")
    deadline: float = _s(60.0, "Total seconds allowed for one URL: lookup, connect, headers and body, redirects and retries included, whatever the server sends.")
    max_bytes: int = _s(8 * 1024 * 1024, "Largest response body accepted (after decompression).")
    max_redirects: int = _s(5, "Redirects followed before a URL is given up.")
    user_agent: str = _s(USER_AGENT, "User-Agent header sent with every request.")
    allow_private: bool = _s(
        False, "Allow fetching loopback, private and link-local addresses (the demo and tests need it)."
    )
    allow_hosts: tuple[str, ...] = _s(
        (), "Private addresses allowed all the same, the guard kept for the rest: an address or CIDR network, or a "
            "host name, each with an optional :PORT (127.0.0.1:8765, 10.20.0.0/16, [::1]:8080, intranet.example:8080)."
    )
    fetch_threads: int = _s(8, "Pages fetched at once, in all.")
    per_host: int = _s(2, "Pages fetched at once from one host.")
    host_delay: float = _s(1.0, "Seconds between two requests to one host.")
    respect_robots: bool = _s(True, "Honour robots.txt (RFC 9309) and its Crawl-delay (up to 30 s).")
    fetch_order: str = _s("hosts", "Order of page fetches: 'hosts' (the earliest ready host next, every host busy at "
                                   "once) or 'listed' (as the sources list them: the old way, kept for comparison).")
    processes: int = _s(os.cpu_count() or 1, "Extraction processes; 0 extracts in the main process.")
    scheduler: str | None = _s(None, "Dask scheduler address (tcp://HOST:PORT): fetch and extract on that cluster.")
    batch_size: int = _s(200, "Articles written per store batch: a crash loses at most one batch.")
    refetch: bool = _s(False, "Fetch URLs again even when the store already has them.")
    keep_pages: bool = _s(True, "Keep the response of every stored article as compressed WARC in STORE/pages/, "
                                "so that `newsmon clean --reextract` can re-run extraction on it.")
    progress: bool = _s(True, "Show a progress bar on stderr.")

    def with_(self, **changes) -> Settings:
        """A copy with the given settings changed; None values keep the current setting."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def describe() -> list[tuple[str, str, str]]:
    """(name, default, help) for each setting, for docs and --help."""
    return [(f.name, repr(f.default), f.metadata["help"]) for f in fields(Settings)]
