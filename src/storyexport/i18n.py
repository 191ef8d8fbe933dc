"""The few words storyexport itself prints into an article ("Story at a
glance", "Updated", "and", page numbers, dates), in the article's language.

Locale-independent on purpose: the machine's locale must never change an
output. Languages without an entry fall back to English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Labels:
    glance: str
    updated: str
    and_: str
    list_sep: str
    page: str
    of: str
    back: str
    months: tuple[str, ...]
    date_format: str  # {d} day, {m} month name, {n} month number, {y} year
    contents: str = "Contents"  # an edition's contents page


EN = Labels("Story at a glance", "Updated", " and ", ", ", "Page", "of", "back",
            ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December"), "{d} {m} {y}", "Contents")

LABELS: dict[str, Labels] = {
    "en": EN,
    "ar": Labels("القصة في سطور", "تحديث", " و", "، ", "صفحة", "من", "عودة",
                 ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر",
                  "نوفمبر", "ديسمبر"), "{d} {m} {y}", "المحتويات"),
    "ja": Labels("この記事のポイント", "更新", "、", "、", "ページ", "/", "戻る", (), "{y}年{n}月{d}日", "目次"),
    "zh": Labels("要点", "更新", "、", "、", "页", "/", "返回", (), "{y}年{n}月{d}日", "目录"),
    "de": Labels("Das Wichtigste in Kürze", "Aktualisiert", " und ", ", ", "Seite", "von", "zurück",
                 ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
                  "Oktober", "November", "Dezember"), "{d}. {m} {y}", "Inhalt"),
    "fr": Labels("L’essentiel", "Mis à jour", " et ", ", ", "Page", "sur", "retour",
                 ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                  "octobre", "novembre", "décembre"), "{d} {m} {y}", "Sommaire"),
    "es": Labels("La historia de un vistazo", "Actualizado", " y ", ", ", "Página", "de", "volver",
                 ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
                  "octubre", "noviembre", "diciembre"), "{d} de {m} de {y}", "Índice"),
}


def labels(lang: str) -> Labels:
    return LABELS.get(lang.split("-")[0].lower(), EN)


def format_date(d: datetime, lang: str = "en") -> str:
    """A reader-facing date in the article's language."""
    lab = labels(lang)
    month = lab.months[d.month - 1] if lab.months else str(d.month)
    return lab.date_format.format(d=d.day, m=month, n=d.month, y=d.year)


def join_names(names: list[str], lang: str = "en") -> str:
    """"A, B and C" in the article's language."""
    lab = labels(lang)
    if len(names) <= 1:
        return "".join(names)
    return lab.list_sep.join(names[:-1]) + lab.and_ + names[-1]
