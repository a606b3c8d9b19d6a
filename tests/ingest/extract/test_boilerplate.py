"""Site-level boilerplate: learnt across pages of one source, never from repetition inside one page."""

from __future__ import annotations

import json
import pickle

from ingest.extract.boilerplate import (
    SiteBoilerplate,
    learn_boilerplate,
    learn_source_boilerplate,
    load_boilerplate,
    paragraph_key,
    remove_boilerplate,
    sidecar_path,
)

APPEAL = "A Message from The Daily Example:"
DONATE = ("Your support, no matter how small, makes a world of difference. If you can, please support us monthly "
          "starting from just $2. It's quick to set up, and every contribution makes a significant impact.")
READ_MORE = "Read more"


BACKGROUND = ("Russia launched its full-scale invasion of Ukraine in February 2022, and the war has since "
              "dominated the region's politics, its budgets and the debates of its councils.")


def page(i: int, *, appeal: bool = True) -> list[str]:
    """One page of a fictional source: four body paragraphs (a wire background sentence on every third page),
    then the source's furniture: an appeal, a "Read more" heading and two related headlines."""
    body = [f"Story {i}: the council of town number {i} met on Monday and voted on the budget of year {2000 + i}, "
            f"after a debate about schools, roads and the harbour that lasted into the evening.",
            f"The mayor of town {i} said the vote showed the council could agree on hard questions.",
            f"Residents of town {i} will be able to comment on the plan until the end of the month."]
    if i % 3 == 0:
        body.insert(2, BACKGROUND)
    tail = [APPEAL, DONATE, READ_MORE, f"Headline of another story {i}", f"Headline of a third story {i * 7}"]
    return body + (tail if appeal else [])


def text(i: int, **kw) -> str:
    return "\n\n".join(page(i, **kw))


def test_key_ignores_case_punctuation_numbers():
    assert paragraph_key("Read more »") == paragraph_key("read   MORE")
    assert paragraph_key("© 2024 Example, all rights reserved.") == paragraph_key("© 2025 Example - all rights reserved")


def test_learns_recurring_furniture_not_body():
    bp = learn_boilerplate([text(i) for i in range(20)])
    assert APPEAL in bp and DONATE in bp and READ_MORE in bp
    assert "Story 3: the council" not in bp


def test_repetition_inside_one_page_is_not_learnt():
    repeated = "\n\n".join(["The minister repeated the same sentence several times during the speech."] * 6)
    bp = learn_boilerplate([repeated] + [text(i, appeal=False) for i in range(8)], min_pages=2)
    assert "The minister repeated the same sentence several times during the speech." not in bp


def test_mid_body_background_sentence_is_kept():
    """A long sentence repeated on many pages but in the middle of the body is body text (wire background)."""
    bp = learn_boilerplate([text(i) for i in range(20)])
    assert BACKGROUND not in bp


def test_too_few_pages_learn_nothing():
    assert len(learn_boilerplate([text(i) for i in range(3)])) == 0


def test_remove_drops_learnt_lines_and_following_related_list():
    bp = learn_boilerplate([text(i) for i in range(20)])
    paragraphs = page(99)
    kept = remove_boilerplate(paragraphs, bp)
    assert APPEAL not in kept and DONATE not in kept and READ_MORE not in kept
    assert not any(p.startswith("Headline of") for p in kept)
    assert kept[0].startswith("Story 99")
    assert kept == paragraphs[:4]


def test_remove_without_boilerplate_is_identity():
    paragraphs = page(5)
    assert remove_boilerplate(paragraphs, None) == paragraphs
    assert remove_boilerplate(paragraphs, SiteBoilerplate()) == paragraphs


def test_picklable_and_frozen():
    bp = learn_boilerplate([text(i) for i in range(20)])
    assert pickle.loads(pickle.dumps(bp)) == bp
    try:
        bp.pages = 0  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("SiteBoilerplate must be frozen")


def test_sidecar_remembers_what_stored_texts_no_longer_show(tmp_path):
    first = learn_source_boilerplate(tmp_path, "Daily Example", [text(i) for i in range(20)])
    assert DONATE in first
    path = sidecar_path(tmp_path, "Daily Example")
    assert path.exists() and json.loads(path.read_text())["source"] == "Daily Example"
    assert not list(path.parent.glob(".*.tmp"))
    # The next run learns from texts that were cleaned with it: the appeal is gone from them ...
    cleaned = ["\n\n".join(remove_boilerplate(page(i), first)) for i in range(20, 40)]
    assert not any(DONATE in t for t in cleaned)
    second = learn_source_boilerplate(tmp_path, "Daily Example", cleaned)
    assert DONATE in second  # ... but the sidecar remembers it
    assert load_boilerplate(tmp_path, "Daily Example") == second
    assert load_boilerplate(tmp_path, "Another Source") is None


def test_unreadable_sidecar_is_ignored(tmp_path):
    path = sidecar_path(tmp_path, "Broken")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert load_boilerplate(tmp_path, "Broken") is None
