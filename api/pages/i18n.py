"""The pages in French or English: Babel catalogs, the language of each request.

The catalog's source is ``api/locale/fr/LC_MESSAGES/messages.po`` (extracted from the templates
and scripts with ``pybabel extract -F babel.cfg``); it is compiled in memory when first used,
so there is no build step to forget. English is the source language.
"""

import gettext
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Final

from babel import negotiate_locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import Request
from fastapi.templating import Jinja2Templates

from api.models import Language

LOCALE_DIR: Final = Path(__file__).parent.parent / "locale"
COOKIE: Final = "chaud_lang"
_current: ContextVar[Language] = ContextVar("page_language", default=Language.EN)


@cache
def _catalog(language: Language) -> Catalog:
    """The language's .po file, read once for the templates and the scripts alike."""
    with (LOCALE_DIR / language.value / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language.value)


@cache
def translations(language: Language) -> gettext.NullTranslations:
    if language is Language.EN:
        return gettext.NullTranslations()
    compiled = BytesIO()
    write_mo(compiled, _catalog(language))
    compiled.seek(0)
    return Translations(fp=compiled)


@cache
def script_catalog(language: Language) -> dict[str, str]:
    """Every translated message, for the pages' scripts (Chaud.t)."""
    if language is Language.EN:
        return {}
    return {str(m.id): str(m.string) for m in _catalog(language) if m.id and m.string}


def choose(request: Request) -> Language:
    """The page's language: the one chosen on the site (a cookie), else the browser's."""
    chosen = request.cookies.get(COOKIE)
    if chosen in {lang.value for lang in Language}:
        return Language(chosen)
    wanted = [
        part.split(";")[0].strip().replace("-", "_")
        for part in request.headers.get("accept-language", "").split(",")
        if part.strip()
    ]
    found = negotiate_locale(wanted, [lang.value for lang in Language], sep="_")
    return Language(found) if found else Language.EN


async def page_language(request: Request) -> Language:
    """A page's dependency: its templates speak the request's language."""
    language = choose(request)
    _current.set(language)
    return language


def use(language: Language) -> None:
    _current.set(language)


def install(templates: Jinja2Templates) -> None:
    env = templates.env
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: translations(_current.get()).gettext(message),
        lambda one, many, n: translations(_current.get()).ngettext(one, many, n),
        newstyle=True,
    )
    env.globals["page_lang"] = lambda: _current.get().value
    env.globals["script_catalog"] = lambda: script_catalog(_current.get())
