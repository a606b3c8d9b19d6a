"""`newsmon extract`, `clean-text` and `clean` command objects (registered in ingest/cli/main.py by the integrator)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ingest.cli.extract import clean_cmd, clean_text_cmd, extract_cmd
from tests.paths import SHARED_DATA

SEED = SHARED_DATA / "seed"
needs_seed = pytest.mark.skipif(not (SEED / "article.html").exists(),
                                reason=f"shared seed data not found at {SEED} (../shared/data from the repo root)")
URL = "https://www.themoscowtimes.com/2024/08/13/putin-calls-for-full-fledged-state-of-palestine-in-talks-with-abbas-a86021"
PAGE = ("<html><head><title>Harbour plan</title></head><body><article><h1>Harbour plan</h1>" + "".join(
    f"<p>The city council voted on Tuesday to approve part {i} of the harbour plan, which includes housing, "
    f"a park and a tram line, after a debate that lasted well into the night.</p>" for i in range(3))
    + "<p>Photo: AP</p></article></body></html>")


@needs_seed
def test_extract_jsonl_seed():
    result = CliRunner().invoke(extract_cmd, [str(SEED / "article.html"), "--url", URL, "--jsonl"])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.output)
    assert obj["title"] == "Putin Calls for ‘Full-Fledged’ State of Palestine in Talks With Abbas"
    assert (obj["published"], obj["published_source"], obj["language"]) == ("2024-08-13T15:05:00Z", "meta", "en")
    assert obj["published_local"] == "2024-08-13T18:05:00+03:00"
    assert obj["url"] == URL and obj["authors"] == ["The Moscow Times"]
    assert "Alexei Maishev" not in obj["text"] and obj["text"].startswith("Russian President Vladimir Putin")


def test_extract_folder_plain_and_failures(tmp_path):
    (tmp_path / "a.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "empty.html").write_text("", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a page", encoding="utf-8")
    result = CliRunner().invoke(extract_cmd, [str(tmp_path)])
    assert result.exit_code == 1
    assert f"==> {tmp_path / 'a.html'} <==" in result.output
    assert "part 2 of the harbour plan" in result.output and "Photo: AP" not in result.output
    assert "empty.html: no article (empty" in result.stderr


def test_extract_jsonl_failure_object(tmp_path):
    (tmp_path / "x.html").write_bytes(b"%PDF-1.4 binary")
    result = CliRunner().invoke(extract_cmd, [str(tmp_path / "x.html"), "--jsonl"])
    assert result.exit_code == 1
    assert json.loads(result.output)["error"] == "binary"


def test_extract_url_needs_one_page(tmp_path):
    (tmp_path / "a.html").write_text(PAGE)
    (tmp_path / "b.html").write_text(PAGE)
    result = CliRunner().invoke(extract_cmd, [str(tmp_path), "--url", "https://x.org/a"])
    assert result.exit_code == 2 and "single page" in result.output


@needs_seed
def test_clean_text_command():
    result = CliRunner().invoke(clean_text_cmd, [str(SEED / "page-text-dump.txt")])
    assert result.exit_code == 0
    assert result.output.startswith("Russian President Vladimir Putin") and "Read more" not in result.output


def test_clean_text_stdin_and_nothing_found():
    result = CliRunner().invoke(clean_text_cmd, ["-"], input="Home\nNews\nSport\n")
    assert result.exit_code == 1 and "no article text found" in result.output


def test_clean_without_store(tmp_path):
    result = CliRunner().invoke(clean_cmd, ["--store", str(tmp_path / "nothing")])
    assert result.exit_code == 1 and "no store at" in result.output


def test_extract_list_of_pages_with_urls(tmp_path):
    import gzip

    page = PAGE.replace("<head>", '<head><meta property="article:published_time" content="2024-08-13T18:05:00+03:00">')
    (tmp_path / "a.html").write_text(page, encoding="utf-8")
    (tmp_path / "b.html.gz").write_bytes(gzip.compress(PAGE.encode("utf-8")))
    listing = tmp_path / "pages.tsv"
    listing.write_text("# saved pages\na.html\thttps://x.org/2024/08/13/a\n\nb.html.gz\thttps://x.org/2021/03/02/b\n",
                       encoding="utf-8")
    result = CliRunner().invoke(extract_cmd, ["--jsonl", "--list", str(listing)])
    assert result.exit_code == 0, result.output
    a, b = (json.loads(line) for line in result.output.splitlines())
    assert (a["url"], a["published"], a["published_local"], a["published_source"]) == (
        "https://x.org/2024/08/13/a", "2024-08-13T15:05:00Z", "2024-08-13T18:05:00+03:00", "meta")
    assert (b["published"], b["published_local"], b["published_source"]) == ("2021-03-02T00:00:00Z", None, "url")


def test_extract_list_names_a_missing_file_before_any_output(tmp_path):
    (tmp_path / "a.html").write_text(PAGE, encoding="utf-8")
    listing = tmp_path / "pages.tsv"
    listing.write_text("a.html\thttps://x.org/a\nmissing.html\thttps://x.org/b\n", encoding="utf-8")
    result = CliRunner().invoke(extract_cmd, ["--jsonl", "--list", str(listing)])
    assert result.exit_code == 1
    assert "pages.tsv, line 2: no such file: missing.html" in result.output
    assert "{" not in result.output
