"""``urls.is_plain_web_url`` lets importers and readers skip ``urljoin`` and
``urlsplit``: that is only right if both parsers would give the address back
as written. Checked against the standard library on generated addresses."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyexport.urls import _PLAIN_WEB_URL, is_plain_web_url

BASES = st.one_of(
    st.sampled_from(["https://news.example/2024/a/b.html?x=1#top", "http://news.example", "ftp://x/", "mailto:a@b",
                     "", "//host/p", "/rel/", "https://other.example/../x/;p"]),
    st.from_regex(r"https?://[a-z.]{0,8}(/[a-z./?#;]{0,12})?", fullmatch=True),
)
# near misses: fragments, empty queries, path parameters, upper-case schemes, dots
NEAR = st.from_regex(r"(https?|HTTP)://[a-z]{0,3}(/[a-z;.]{0,4})?(\?[a-z;?/&=]{0,4})?(#[a-z]{0,3})?",
                     fullmatch=True)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.from_regex(_PLAIN_WEB_URL, fullmatch=True), NEAR), BASES)
def test_a_plain_address_is_what_urljoin_and_urlsplit_make_of_it(url: str, base: str) -> None:
    if not is_plain_web_url(url):
        return
    assert urlsplit(url).scheme in ("http", "https")
    try:
        joined = urljoin(base, url)
    except ValueError:  # a base urllib cannot parse: the fast path does not look at it
        return
    assert joined == url


def test_what_is_not_plain() -> None:
    for url in ("https://a.example/x#f", "https://a.example/x?", "https://a.example/x;p", "HTTPS://a.example/",
                "https:///x", "https://a.example/ x", "https://[::1]/", "https://ä.example/", "/x", "x.html",
                "mailto:a@b.example", "https://a.example/\n"):
        assert not is_plain_web_url(url), url
    assert is_plain_web_url("https://a.example/wp-content/uploads/2020/01/p1.jpg")
    assert is_plain_web_url("https://a.example/?p=10")
