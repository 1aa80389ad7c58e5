"""`knowledge-base/`: intranet help articles as HTML wrapped in navigation, cookie banner and
footer boilerplate; a French article; navigation-only and lorem-ipsum junk pages; an archived
copy; a file of binary garbage named .html; a screenshot. Declared license: CC-BY-4.0.
"""

from __future__ import annotations

import html
import random

from curation.demo.people import STAFF
from curation.demo.phrases_other import (
    FRENCH_ARTICLE,
    KB_CONTACT,
    KB_INTRO,
    KB_STEPS,
    KB_TOPICS,
    KB_TROUBLESHOOTING,
    LOREM,
)
from curation.demo.plan import Plan, later, random_date
from curation.demo.prose import Deck, Doc, plain_text, sentences
from curation.demo.render import to_html_fragment
from curation.demo.slots import Filler
from curation.demo.writers import png_bytes

_NAV = {
    "en": ("Home", "IT Help", "HR Help", "Facilities", "Policies", "News", "Directory"),
    "fr": (
        "Accueil",
        "Aide informatique",
        "Ressources humaines",
        "Services généraux",
        "Actualités",
    ),
}
_COOKIE = {
    "en": "We use cookies to improve your experience on the Acme intranet. By continuing to browse "
    "you agree to our use of cookies. <button>Accept all</button> <button>Manage preferences</button>",
    "fr": "Nous utilisons des cookies pour améliorer votre expérience sur l'intranet Acme. "
    "<button>Tout accepter</button> <button>Paramétrer</button>",
}
_FOOTER = {
    "en": "&copy; Acme Industries. Content licensed under "
    '<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>. '
    '<a href="/privacy">Privacy</a> | <a href="/accessibility">Accessibility</a> | '
    '<a href="/contact">Contact</a>',
    "fr": "&copy; Acme Industries. Contenu sous licence "
    '<a href="https://creativecommons.org/licenses/by/4.0/deed.fr">CC BY 4.0</a>. '
    '<a href="/privacy">Confidentialité</a> | <a href="/contact">Contact</a>',
}


def page(title: str, main: str, *, lang: str = "en", related: tuple[str, ...] = ()) -> str:
    """A full intranet page: the article in <main>, boilerplate all around it."""
    nav = "".join(
        f'<li><a href="/{i}">{html.escape(item)}</a></li>' for i, item in enumerate(_NAV[lang])
    )
    aside = ""
    if related:
        items = "".join(
            f'<li><a href="/kb/{slug}.html">{html.escape(t)}</a></li>' for t, slug in related
        )
        aside = f'<aside class="related"><h2>Related articles</h2><ul>{items}</ul></aside>'
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{html.escape(title)} - Acme Knowledge Base</title>
<link rel="stylesheet" href="/static/kb.css">
<script src="/static/analytics.js"></script>
</head>
<body>
<div id="cookie-banner" class="cookie-consent"><p>{_COOKIE[lang]}</p></div>
<header class="site-header"><a class="logo" href="/">Acme Intranet</a>
<nav class="main-nav"><ul>{nav}</ul></nav>
<form class="search" action="/search"><input type="search" name="q" placeholder="Search"></form>
</header>
<nav class="breadcrumbs"><a href="/">Home</a> &rsaquo; <a href="/kb/">Knowledge Base</a> &rsaquo; {html.escape(title)}</nav>
<main>
<article>
{main}
</article>
{aside}
</main>
<footer class="site-footer"><p>{_FOOTER[lang]}</p></footer>
</body>
</html>
"""


def article_doc(rng: random.Random, title: str, app: str) -> Doc:
    """A help article whose steps all talk about the same application."""
    owner = rng.choice(
        [
            p
            for p in STAFF
            if p.department in ("IT Operations", "Information Security", "People Operations")
        ]
    )
    filler = Filler(rng, {"owner": owner.name, "owner_email": owner.email, "app": app})
    doc = Doc(title, author=owner.name)
    doc.paragraph(
        [f"This article explains {title[0].lower() + title[1:]} step by step."]
        + sentences(Deck(rng, KB_INTRO), filler, 2)
    )
    doc.heading("Steps")
    doc.bullets(sentences(Deck(rng, KB_STEPS), filler, rng.randint(5, 7)))
    doc.heading("Troubleshooting")
    doc.paragraph(sentences(Deck(rng, KB_TROUBLESHOOTING), filler, 3))
    doc.heading("Need more help?")
    doc.paragraph([KB_CONTACT.format_map(filler)])
    return doc


def build_knowledge_base(plan: Plan, seed: int) -> None:
    """Help articles in intranet boilerplate, a French page, junk, garbage, a screenshot."""
    rng = random.Random(f"{seed}:knowledge-base")
    for title, slug, app in KB_TOPICS:
        doc = article_doc(rng, title, app)
        related = tuple(rng.sample([t[:2] for t in KB_TOPICS if t[1] != slug], 3))
        moment = random_date(rng)
        updated = f'<p class="meta">Last updated {moment:%d %B %Y} by {html.escape(doc.author)}</p>'
        content = page(
            title, to_html_fragment(doc).replace("</h1>", "</h1>\n" + updated, 1), related=related
        )
        rel = plan.add(f"knowledge-base/it-help/{slug}.html", content, moment, plain_text(doc))
        if slug == "vpn":
            plan.copy(rel, "knowledge-base/archive/2023/vpn.html", later(rng, moment, 30, 200))
    french = list(FRENCH_ARTICLE)
    rng.shuffle(french)
    doc = Doc("Accès au réseau à distance par VPN", author="Sophie Laurent", lang="fr")
    doc.paragraph(french[:4])
    doc.heading("Étapes")
    doc.paragraph(french[4:8])
    doc.heading("Dépannage")
    doc.paragraph(french[8:])
    rel = plan.add(
        "knowledge-base/fr/acces-vpn.html",
        page(doc.title, to_html_fragment(doc), lang="fr"),
        random_date(rng),
        plain_text(doc),
    )
    plan.languages[rel] = "fr"
    links = "".join(
        f'<li><a href="/kb/{slug}.html">{html.escape(t)}</a></li>' for t, slug, _ in KB_TOPICS
    )
    plan.junk += [
        plan.add(
            "knowledge-base/index.html",
            page("Knowledge Base", "<h1>Knowledge Base</h1>"),
            random_date(rng),
            "Knowledge Base",
        ),
        plan.add(
            "knowledge-base/sitemap.html",
            page("Site map", f"<h1>Site map</h1><ul>{links}</ul>"),
            random_date(rng),
        ),
        plan.add(
            "knowledge-base/tags/printing.html",
            page(
                "Tag: printing",
                '<h1>Tag: printing</h1><ul><li><a href="/kb/printing.html">Connecting to an office printer</a></li></ul>',
            ),
            random_date(rng),
        ),
        plan.add(
            "knowledge-base/404.html",
            page(
                "Page not found", "<h1>Page not found</h1><p>Sorry, this page does not exist.</p>"
            ),
            random_date(rng),
        ),
        plan.add(
            "knowledge-base/drafts/new-article.html",
            page("New article", f"<h1>New article</h1><p>{LOREM}</p><p>{LOREM}</p>"),
            random_date(rng),
        ),
    ]
    garbage = bytes(rng.randrange(256) for _ in range(6000))
    plan.corrupt.append(
        plan.add("knowledge-base/it-help/legacy-export.html", garbage, random_date(rng))
    )
    plan.unsupported.append(
        plan.add(
            "knowledge-base/images/vpn-client-screenshot.png",
            png_bytes(64, 40, seed),
            random_date(rng),
        )
    )
