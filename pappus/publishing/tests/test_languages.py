"""The new publishing pages in the four interface languages (the compiled catalogues are used)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.publishing.tests.factories import make_post

pytestmark = pytest.mark.django_db

EXPECTED = {
    "en": ("Asset library", "Evergreen queues", "Previous week", "UTM builder", "Best times to post"),
    "ru": (
        "Библиотека материалов",
        "Вечнозелёные очереди",
        "Предыдущая неделя",
        "Конструктор UTM",
        "Лучшее время для публикации",
    ),
    "nb": ("Ressursbibliotek", "Eviggrønne køer", "Forrige uke", "UTM-bygger", "Beste tidspunkter å publisere"),
    "zh-hans": ("素材库", "常青队列", "上一周", "UTM 生成器", "最佳发布时间"),
}


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_the_new_pages_speak_the_members_language(client, workspace, language):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    manager.user.language = language
    manager.user.save(update_fields=["language"])
    post = make_post(manager)
    client.force_login(manager.user)
    library, queues, week, links, best = EXPECTED[language]

    assert library in _text(client.get(reverse("publishing:assets")))
    assert queues in _text(client.get(reverse("publishing:evergreen")))
    assert week in _text(client.get(reverse("publishing:week")))
    assert links in _text(client.get(reverse("publishing:post_links", args=[post.pk])))
    assert best in _text(client.get(reverse("publishing:post", args=[post.pk])))
