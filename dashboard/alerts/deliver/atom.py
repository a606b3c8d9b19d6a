"""The Atom feed of alerts (RFC 4287), written into the store at ROOT/alerts/feed.atom.

Takes the recorded events (state.py) and writes the newest `MAX_ENTRIES` whose rule delivers to the feed, the
whole file at once (temporary name, fsync, rename). An entry's id is its event's key, so writing the feed again
after a crash never shows an event twice: "delivery" to the feed is idempotent. The content is the message's
HTML (titles escaped there), itself escaped as XML text by ElementTree, as `type="html"` requires.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from dashboard.alerts.message import render_html
from ingest.store.atomic import replace_atomic

ATOM = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 200


def feed_id(root: Path) -> str:
    """The feed's id: stable for a store (its resolved path)."""
    return "urn:newsmon:alerts:" + hashlib.sha1(str(Path(root).resolve()).encode()).hexdigest()[:16]


def feed_xml(records: Iterable[dict], feed_id: str, title: str = "newsmon alerts", link: str | None = None) -> bytes:
    """The feed document of `records` (newest first, as given)."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    records = list(records)[:MAX_ENTRIES]
    ET.SubElement(feed, f"{{{ATOM}}}id").text = feed_id
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    updated = max((r.get("fired_at") or "" for r in records), default="") or datetime.now(UTC).isoformat(
        timespec="seconds")
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "newsmon"
    ET.SubElement(feed, f"{{{ATOM}}}generator").text = "newsmon"
    if link:
        ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=link)
    for r in records:
        msg = r["message"]
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"urn:newsmon:alert:{r['key']}"
        ET.SubElement(entry, f"{{{ATOM}}}title", type="text").text = msg["subject"]
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = r["fired_at"]
        ET.SubElement(entry, f"{{{ATOM}}}published").text = r["fired_at"]
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=msg["url"])
        ET.SubElement(entry, f"{{{ATOM}}}category", term=r["trigger"])
        ET.SubElement(entry, f"{{{ATOM}}}summary", type="text").text = msg["summary"]
        body = render_html(msg).split("<body>", 1)[1].rsplit("</body>", 1)[0]
        ET.SubElement(entry, f"{{{ATOM}}}content", type="html").text = body
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def write_feed(path: Path, records: Iterable[dict], feed_id: str, link: str | None = None) -> None:
    """Write the feed of the records that go to the feed (their `atom` channel), atomically."""
    data = feed_xml((r for r in records if "atom" in r.get("deliveries", {})), feed_id, link=link)
    replace_atomic(path, lambda fh: fh.write(data))
