"""Every word the pages show has its French, with the same placeholders: the catalog and the
sources agree (what `pybabel extract -F babel.cfg -k t -k tr` finds is what is translated)."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from api.models import Language
from api.pages.i18n import LOCALE_DIR, script_catalog, translations

ROOT = Path(__file__).parent.parent
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    keywords = {"_": None, "gettext": None, "t": None, "tr": None}
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords, comment_tags=())
    return {str(message) for _, _, message, _, _ in found if isinstance(message, str)}


def test_every_message_of_the_pages_has_its_french() -> None:
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="fr")
    french = {str(m.id): str(m.string) for m in catalog if m.id}
    wanted = extracted()
    assert len(wanted) > 150
    assert sorted(wanted - {k for k, v in french.items() if v}) == []
    for english, translated in french.items():
        assert set(PLACEHOLDER.findall(english)) == set(PLACEHOLDER.findall(translated)), english


def test_the_catalog_compiles_for_templates_and_scripts() -> None:
    assert translations(Language.FR).gettext("Your cart") == "Votre panier"
    assert translations(Language.EN).gettext("Your cart") == "Your cart"
    assert script_catalog(Language.FR)["Start now"] == "Lancer maintenant"


PAGES = [
    "/",
    "/r/pho-turenne",
    "/cart",
    "/login",
    "/signup",
    "/account",
    "/orders",
    "/orders/1",
    "/courier",
    "/relay",
    "/kitchen",
    "/ops",
    "/ops/alliance",
    "/ops/reports",
    "/ops/audit",
    "/welcome",
]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_page_renders_in_each_language(client: TestClient, language: str) -> None:
    client.cookies.set("chaud_lang", language)
    for path in PAGES:
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 200, (path, page.text[:300])
        assert f'lang="{language}"' in page.text, path
    missing = client.get("/nowhere", headers={"Accept": "text/html"})
    assert missing.status_code == 404
    assert f'lang="{language}"' in missing.text
