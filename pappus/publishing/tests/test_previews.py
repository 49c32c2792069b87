"""Network previews in the editor: folded where the network folds, link cards, media, first comment, counter."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.publishing import previews
from pappus.publishing.limits import VariantDraft
from pappus.publishing.tests.factories import make_post

LONG = "Our autumn roast is back in every shop from Bergen to Tromsø, with a new label. " * 4  # 320 characters


def _draft(network: str, text: str = LONG, **fields: Any) -> VariantDraft:
    return VariantDraft(label=network, network=network, text=text, **fields)


def _plain(parts: tuple[previews.Segment, ...]) -> str:
    return "".join(part.text for part in parts)


def test_instagram_folds_the_caption_after_125_characters_and_draws_no_link_card():
    preview = previews.build(_draft("instagram", link="https://nordlys.example/roast"), display_name="Nordlys")
    shown, folded = _plain(preview.shown), _plain(preview.folded)
    assert len(shown) <= 125
    assert LONG.startswith(shown)
    assert shown + folded == f"{LONG}\n\nhttps://nordlys.example/roast"
    assert preview.more_label == "more"
    assert preview.link == ""  # Instagram draws no card; the address stays in the caption
    assert preview.note == "Links in Instagram captions are not clickable."


def test_mastodon_shows_everything_with_a_card_for_the_trailing_link():
    preview = previews.build(_draft("mastodon", "Autumn roast #coffee", link="https://nordlys.example/roast"))
    assert _plain(preview.shown) == "Autumn roast #coffee"
    assert preview.folded == ()
    assert [part.kind for part in preview.shown] == ["text", "hashtag"]
    assert (preview.link, preview.link_host) == ("https://nordlys.example/roast", "nordlys.example")
    assert (preview.length, preview.max_characters) == (45, 500)  # 20 + two line breaks + the link as 23


def test_x_folds_after_280_and_counts_over_the_limit():
    preview = previews.build(_draft("x"))
    assert preview.folded
    assert preview.more_label == "Show more"
    assert (preview.length, preview.max_characters, preview.over) == (320, 280, True)


def test_reddit_takes_the_first_line_as_title_and_hashtags_stay_words():
    preview = previews.build(_draft("reddit", "Autumn roast is back\nTell us what you think", hashtags=("coffee",)))
    assert preview.title == "Autumn roast is back"
    assert _plain(preview.shown) == "Tell us what you think\n\n#coffee"


def test_media_grid_shows_what_the_network_shows_and_counts_the_rest():
    media = tuple({"name": f"photo{number}.jpg", "mime_type": "image/jpeg", "size": 10} for number in range(7))
    facebook = previews.build(_draft("facebook", "Photos", media=media))
    assert [tile.name for tile in facebook.media] == [f"photo{number}.jpg" for number in range(5)]
    assert facebook.media_more == 2
    instagram = previews.build(
        _draft("instagram", "Carousel", media=(*media[:1], {"name": "a.mp4", "mime_type": "video/mp4"}))
    )
    assert [tile.kind for tile in instagram.media] == ["image"]
    assert instagram.media_more == 1


@pytest.mark.parametrize(
    "network", ["mastodon", "bluesky", "x", "facebook", "instagram", "telegram", "vk", "reddit", "youtube", "matrix"]
)
def test_every_network_has_its_own_look(network):
    assert previews.LOOKS[network].label
    assert previews.build(_draft(network)).network_label == previews.LOOKS[network].label


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.django_db
def test_the_live_check_returns_the_preview_as_you_type(client, workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    client.force_login(manager.user)
    response = client.post(
        reverse("publishing:variant_check"),
        {
            "network": "instagram",
            "account_label": "Nordlys Coffee",
            "text": LONG,
            "hashtags": "coffee, autumn",
            "first_comment": "Which shop is yours? @nordlys",
        },
    )
    page = _text(response)
    assert response.status_code == 200
    assert 'data-network="instagram"' in page
    assert "Nordlys Coffee" in page
    assert '<span class="np__more" data-testid="preview-more">more</span>' in page
    assert "#autumn" not in page  # folded away, behind "more"
    assert 'data-testid="preview-first-comment"' in page
    assert '<span class="np__mention">@nordlys</span>' in page
    assert f"{len(LONG) + len(' #coffee #autumn') + 1} of 2200 characters" in page
    short = _text(
        client.post(
            reverse("publishing:variant_check"), {"network": "bluesky", "text": "New roast", "hashtags": "coffee"}
        )
    )
    assert '<span class="np__hashtag">#coffee</span>' in short
    assert 'data-testid="preview-more"' not in short


@pytest.mark.django_db
def test_the_post_page_shows_a_preview_per_variant(client, workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_post(manager, networks=("mastodon", "bluesky"), text="<b>Autumn</b> roast #coffee")
    client.force_login(manager.user)
    page = _text(client.get(reverse("publishing:post", args=[post.pk])))
    assert page.count('data-testid="preview"') == 2
    assert 'data-network="mastodon"' in page
    assert 'data-network="bluesky"' in page
    assert "&lt;b&gt;Autumn&lt;/b&gt; roast" in page  # escaped, never markup
    assert "publishing/previews.css" in page


def test_closing_punctuation_is_not_part_of_a_mention_or_a_link():
    parts = previews.segments("Label by @anna. More at https://nordlys.example/roast. #coffee!")
    assert [(part.kind, part.text) for part in parts if part.kind != "text"] == [
        ("mention", "@anna"),
        ("link", "https://nordlys.example/roast"),
        ("hashtag", "#coffee"),
    ]
    assert "".join(part.text for part in parts) == "Label by @anna. More at https://nordlys.example/roast. #coffee!"
