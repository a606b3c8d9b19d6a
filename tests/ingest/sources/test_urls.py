import pytest

from ingest.sources.urls import canonical_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.Example.ORG/a/b?utm_source=x&utm_medium=rss#top", "https://www.example.org/a/b"),
        ("https://example.org:443/a?b=2&a=1", "https://example.org/a?a=1&b=2"),
        ("http://example.org:8080/a", "http://example.org:8080/a"),
        ("https://example.org/news/story/amp", "https://example.org/news/story"),
        ("https://example.org/news/story.amp.html", "https://example.org/news/story.html"),
        ("https://amp.example.org/news/story", "https://example.org/news/story"),
        ("https://example.org/a?fbclid=abc&id=7", "https://example.org/a?id=7"),
        ("https://example.org", "https://example.org/"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_content_selecting_params_are_kept() -> None:
    assert canonical_url("https://example.org/article.php?id=12&page=2") == "https://example.org/article.php?id=12&page=2"
