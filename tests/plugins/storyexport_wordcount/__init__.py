"""A tiny third-party writer: one text file per article with its word count."""

from storyexport.model import plain_text, words
from storyexport.writers import Writer


class WordCountWriter(Writer):
    name = "wordcount"
    extension = "count.txt"
    media_type = "text/plain"

    def render(self, article, ctx):  # type: ignore[no-untyped-def]
        n = len(words(plain_text(article)))
        return f"{article.meta.slug}\t{n}\n".encode()
