"""WeChat Official Accounts (微信公众号) through the Official Account API over plain httpx.

The account is an official account: its app id (a plain option), its app secret, the callback
token and, for encrypted ("safe") mode, the EncodingAESKey (secrets). Messages from followers
arrive through the server callback (``wechat/callback.py``), not by polling.

- **Access token**: ``POST /cgi-bin/stable_token`` (the secret in the JSON body, never in a URL),
  valid 7,200 s. One token per app, shared by every worker through a database row
  (:class:`~pappus.connectors.models.WeChatAccessToken`): a worker that finds it missing or within
  5 minutes of expiry locks the row, looks again (another may just have refreshed it) and only
  then fetches; the others wait on the lock and read the new token. A call refused with 40001,
  40014 or 42001 (the token was replaced or expired early) forgets that token and is sent once more
  with a fresh one.
- **Answers**: HTTP 200 both ways; ``errcode`` ≠ 0 is an error, mapped below with ``errmsg`` as
  the reason. Every call puts the token in the ``access_token`` query parameter, as WeChat requires.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pappus.connectors import crypto
from pappus.connectors.base import MAXIMUM_REASON_CHARACTERS, HttpConnector
from pappus.connectors.contracts import (
    AccountInfo,
    Capability,
    ConnectField,
    MediaFile,
    MetricSnapshot,
    PublishLimits,
    PublishRequest,
    PublishResult,
)
from pappus.connectors.errors import (
    AuthExpiredError,
    ConnectorError,
    ContentRejectedError,
    NotFoundError,
    NotSupportedError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.registry import register

logger = logging.getLogger("pappus.connectors")

NETWORK = "wechat"
# The token is fetched again this long before WeChat's stated expiry (7,200 s).
TOKEN_MARGIN = datetime.timedelta(minutes=5)
# Customer-service messages may answer a follower within 48 hours of their last interaction.
CUSTOMER_SERVICE_WINDOW = datetime.timedelta(hours=48)
# A text customer-service message: WeChat documents no length; 2,048 bytes of UTF-8 is the limit it
# enforces in practice (45002 beyond), so Pappus counts 600 characters (3 bytes each for Chinese).
# An article: the title up to 64 characters; the body is HTML (20,000 characters), one cover image
# (JPG or PNG, permanent material up to 10 MB; in-text images up to 1 MB through uploadimg).
DEFAULT_LIMITS = PublishLimits(
    max_characters=20_000,
    max_media=10,
    media_types=frozenset({"image/jpeg", "image/png"}),
    max_media_bytes=1024 * 1024,
)
MESSAGE_MAX_CHARACTERS = 600
TITLE_MAX_CHARACTERS = 64

# Global return codes (https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html).
TOKEN_CODES = frozenset({40001, 40014, 42001})  # invalid credential, invalid token, token expired: fetch again
AUTH_CODES = frozenset({40013, 40125, 40164, 41004, 48001, 61023})  # bad app id/secret, IP not allowed, no right
RATE_CODES = {45009: None, 45011: 60.0, 45047: None, 45033: None}  # daily quota, minute quota, CS sends, …
TEMPORARY_CODES = frozenset({-1, 45087})  # system busy, publishing too fast
NOT_FOUND_CODES = frozenset({40003, 40007, 46001, 53600, 40008})  # openid, media id, no media, article id
# 45015: outside the 48-hour window; 43004: the person no longer follows; 45002/45007/45008: too long;
# 87014: content refused as risky; 53503/53504/53505: draft not publishable; 40006/40009: file size.
CONTENT_CODES = frozenset({45015, 43004, 45002, 45007, 45008, 87014, 53503, 53504, 53505, 40006, 40009, 44003})

# freepublish/get's publish_status (发布状态).
PUBLISH_DONE, PUBLISH_RUNNING = 0, 1
PUBLISH_FAILURES = {
    2: gettext_lazy("the originality check failed"),
    3: gettext_lazy("publishing failed"),
    4: gettext_lazy("the platform's review refused it"),
    5: gettext_lazy("every article was deleted after publishing"),
    6: gettext_lazy("every article was blocked by the platform after publishing"),
}


def wechat_error(code: int, message: str, *, label: str = "WeChat", status: int | None = None) -> ConnectorError:
    """A WeChat ``errcode``/``errmsg`` as one of the small set of errors."""
    reason = f"{message or 'error'} ({code})"[:MAXIMUM_REASON_CHARACTERS]
    if code in TOKEN_CODES or code in AUTH_CODES:
        return AuthExpiredError(f"{label} refused the credentials: {reason}", network=NETWORK, status=status)
    if code in RATE_CODES:
        return RateLimitedError(
            f"{label} rate limit reached: {reason}", retry_after=RATE_CODES[code], network=NETWORK, status=status
        )
    if code in TEMPORARY_CODES:
        return TemporaryFailureError(f"{label} failed: {reason}", network=NETWORK, status=status)
    if code in NOT_FOUND_CODES:
        return NotFoundError(f"{label}: {reason}", network=NETWORK, status=status)
    return ContentRejectedError(reason, network=NETWORK, status=status)


def app_key(appid: str, secret: str) -> str:
    return hashlib.sha256(f"{appid}\0{secret}".encode()).hexdigest()


# The data cube's days are China's (UTC+8, no daylight saving).
CHINA = datetime.timezone(datetime.timedelta(hours=8))


def _date(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def _count(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def follower_of(remote_id: str) -> str:
    """The follower's openid in an inbound item's remote id (``openid:msgid`` or ``openid:event:…``)."""
    return remote_id.split(":", 1)[0]


@dataclass(frozen=True, slots=True)
class FollowerPage:
    """One page of ``user/get``: up to 10,000 openids, the total and where the next page starts."""

    openids: tuple[str, ...]
    total: int
    next_openid: str


@dataclass(frozen=True, slots=True)
class Tag:
    id: int
    name: str
    count: int = 0


@dataclass(frozen=True, slots=True)
class ArticleDay:
    """One article's figures on one day, from the data cube's ``getarticlesummary``."""

    day: datetime.date
    msgid: str
    title: str
    readers: int  # int_page_read_user: people who opened the article page
    reads: int  # int_page_read_count
    original_reads: int  # ori_page_read_count: reads of the original (“阅读原文”) page
    sharers: int  # share_user
    shares: int  # share_count
    favourites: int  # add_to_fav_count


@dataclass(frozen=True, slots=True)
class FollowerDay:
    """Followers gained, lost and held on one day (``getusersummary`` and ``getusercumulate``)."""

    day: datetime.date
    new: int
    cancelled: int
    total: int | None

    @property
    def net(self) -> int:
        return self.new - self.cancelled


@dataclass(frozen=True, slots=True)
class Follower:
    """What ``user/info/batchget`` gives of a follower (WeChat no longer gives names or pictures)."""

    openid: str
    subscribed: bool
    subscribed_at: datetime.datetime | None
    remark: str
    language: str
    tag_ids: tuple[int, ...]
    scene: str


@dataclass(frozen=True, slots=True)
class PublishStatus:
    publish_id: str
    status: int
    article_id: str = ""
    urls: tuple[str, ...] = ()

    @property
    def done(self) -> bool:
        return self.status == PUBLISH_DONE


@register
class WeChatConnector(HttpConnector):
    network: ClassVar[str] = NETWORK
    label: ClassVar[str] = "WeChat"
    # publish: articles (draft → freepublish); reply: customer-service messages within 48 hours;
    # metrics: followers. The inbox is filled by the callback, not read by polling.
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.PUBLISH, Capability.REPLY, Capability.METRICS, Capability.MEDIA}
    )
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField(
            "appid",
            gettext_lazy("AppID"),
            help_text=gettext_lazy("The official account's AppID (Settings and development → Basic configuration)."),
        ),
        ConnectField("app_secret", gettext_lazy("AppSecret"), secret=True),
        ConnectField(
            "callback_token",
            gettext_lazy("Server token"),
            secret=True,
            help_text=gettext_lazy("The Token set under Server configuration; WeChat signs every callback with it."),
        ),
        ConnectField(
            "encoding_aes_key",
            gettext_lazy("EncodingAESKey"),
            secret=True,
            required=False,
            help_text=gettext_lazy(
                "The 43-character key of encrypted (safe) mode; leave empty for plain mode. "
                "With a key set, Pappus accepts only encrypted messages."
            ),
        ),
    )
    default_base_url: ClassVar[str] = "https://api.weixin.qq.com"
    default_limits: ClassVar[PublishLimits | None] = DEFAULT_LIMITS
    idempotency_window_seconds: ClassVar[int] = 0  # no WeChat API takes an idempotency key
    # How often and how long publish() asks freepublish/get before handing back a publish id to poll later.
    publish_poll_attempts: ClassVar[int] = 5
    publish_poll_seconds: ClassVar[float] = 2.0

    def auth_headers(self) -> dict[str, str]:
        return {}  # the token travels in the access_token query parameter

    # --- credentials and the shared token -----------------------------------------------------------

    @property
    def appid(self) -> str:
        return str(self.options.get("appid") or self.credentials.get("appid") or "").strip()

    def _app_key(self) -> str:
        secret = self.credentials.get("app_secret", "")
        if not self.appid or not secret:
            raise AuthExpiredError(_("No AppID or AppSecret is stored: reconnect the account."), network=self.network)
        return app_key(self.appid, secret)

    def access_token(self, *, stale: str = "") -> str:
        """The app's access token, shared by every worker; fetched when missing, near expiry or ``stale``.

        ``stale``: a token WeChat has just refused; it is replaced unless another worker already did.
        """
        from pappus.connectors.models import WeChatAccessToken

        key = self._app_key()
        now = timezone.now()
        row = WeChatAccessToken.objects.filter(app_key=key).first()
        if row is not None and (token := self._usable(row, now, stale)):
            return token
        if row is None:
            try:
                with transaction.atomic():
                    WeChatAccessToken.objects.create(app_key=key)
            except IntegrityError:
                pass  # another worker created it first; its lock decides who fetches
        with transaction.atomic():
            row = WeChatAccessToken.objects.select_for_update().get(app_key=key)
            token = self._usable(row, timezone.now(), stale)
            if token:
                return token  # refreshed by another worker while this one waited for the lock
            token, lifetime = self._fetch_token()
            row.token = crypto.encrypt({"access_token": token})
            row.refreshed_at = timezone.now()
            row.expires_at = row.refreshed_at + datetime.timedelta(seconds=lifetime)
            row.refresh_count += 1
            row.save(update_fields=["token", "refreshed_at", "expires_at", "refresh_count"])
        logger.info("connectors.wechat_token_refreshed lifetime=%s", lifetime)
        return token

    @staticmethod
    def _usable(row: Any, now: datetime.datetime, stale: str) -> str:
        if not row.token or row.expires_at is None or row.expires_at - TOKEN_MARGIN <= now:
            return ""
        try:
            token = str(crypto.decrypt(row.token).get("access_token", ""))
        except crypto.CredentialsUnreadableError:
            return ""
        return "" if stale and token == stale else token

    def _fetch_token(self) -> tuple[str, int]:
        response = self.request(
            "POST",
            "/cgi-bin/stable_token",
            json={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self.credentials.get("app_secret", ""),
                "force_refresh": False,
            },
            repeatable=True,  # fetching a stable token twice gives the same token
        )
        answer = self.read_json(response)
        self._raise_for(answer, status=response.status_code)
        token = str(answer.get("access_token") or "") if isinstance(answer, dict) else ""
        if not token:
            raise TemporaryFailureError(f"{self.label} gave no access token", network=self.network)
        try:
            lifetime = int(answer.get("expires_in") or 7200)
        except (TypeError, ValueError):
            lifetime = 7200
        return token, lifetime

    # --- calls and errors ---------------------------------------------------------------------------

    def _raise_for(self, answer: Any, *, status: int | None = None) -> None:
        if not isinstance(answer, dict):
            raise TemporaryFailureError(f"{self.label} answered with something else than an object", network=NETWORK)
        code = answer.get("errcode")
        if code in (None, 0):
            return
        try:
            number = int(code)
        except (TypeError, ValueError):
            number = -1
        raise wechat_error(number, str(answer.get("errmsg") or ""), label=self.label, status=status)

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        repeatable: bool | None = None,
    ) -> dict[str, Any]:
        """One API call with the shared token; sent once more with a fresh token when WeChat refuses it."""
        token = self.access_token()
        for attempt in (1, 2):
            arguments: dict[str, Any] = {"params": {**(params or {}), "access_token": token}}
            if body is not None:
                # WeChat wants Chinese as characters, not \\u escapes (its own examples send them so).
                arguments["content"] = json.dumps(body, ensure_ascii=False).encode()
                arguments["headers"] = {"Content-Type": "application/json; charset=utf-8"}
            if files is not None:
                arguments["files"] = files
            if data is not None:
                arguments["data"] = data
            response = self.request(method, path, repeatable=repeatable, **arguments)
            answer = self.read_json(response)
            if isinstance(answer, dict) and answer.get("errcode") in TOKEN_CODES and attempt == 1:
                logger.info("connectors.wechat_token_refused code=%s", answer.get("errcode"))
                token = self.access_token(stale=token)
                continue
            self._raise_for(answer, status=response.status_code)
            return dict(answer)
        raise AssertionError("unreachable")  # pragma: no cover

    # --- the account ------------------------------------------------------------------------------------

    def followers(self, next_openid: str = "") -> FollowerPage:
        """One page of the account's followers (``GET /cgi-bin/user/get``, 10,000 openids a page)."""
        answer = self.call("GET", "/cgi-bin/user/get", params={"next_openid": next_openid} if next_openid else None)
        openids = (answer.get("data") or {}).get("openid") or []
        return FollowerPage(
            openids=tuple(str(openid) for openid in openids),
            total=int(answer.get("total") or 0),
            next_openid=str(answer.get("next_openid") or ""),
        )

    def account_info(self) -> AccountInfo:
        page = self.followers()
        name = str(self.options.get("name") or self.appid)
        return AccountInfo(remote_id=self.appid, handle=self.appid, display_name=name, followers=page.total)

    def account_metrics(self) -> MetricSnapshot:
        return MetricSnapshot(taken_at=timezone.now(), followers=self.followers().total)

    def post_metrics(self, remote_id: str) -> MetricSnapshot:
        raise NotSupportedError(
            _(
                "WeChat gives article statistics per day and per mass-message id, not per article id: "
                "see the account's WeChat statistics page."
            ),
            network=self.network,
        )

    # --- the data cube (statistics per day, China time, up to yesterday) ------------------------------

    def _check_range(self, begin: datetime.date, end: datetime.date, *, most_days: int) -> None:
        yesterday = timezone.now().astimezone(CHINA).date() - datetime.timedelta(days=1)
        problem = ""
        if end < begin:
            problem = _("The first day comes after the last.")
        elif end > yesterday:
            problem = _("WeChat gives statistics up to yesterday (China time), %(day)s.") % {"day": yesterday}
        elif (end - begin).days + 1 > most_days:
            problem = _("WeChat gives at most %(days)s days of these statistics at a time.") % {"days": most_days}
        if problem:
            raise ContentRejectedError(problem, network=self.network, checked_locally=True)

    def _cube(self, path: str, begin: datetime.date, end: datetime.date) -> list[dict[str, Any]]:
        answer = self.call("POST", path, body={"begin_date": begin.isoformat(), "end_date": end.isoformat()})
        return [row for row in answer.get("list") or [] if isinstance(row, dict)]

    def article_statistics(self, begin: datetime.date, end: datetime.date) -> list[ArticleDay]:
        """Each article's figures per day (``/datacube/getarticlesummary``, one day per call, 7 days at most)."""
        self._check_range(begin, end, most_days=7)
        days: list[ArticleDay] = []
        day = begin
        while day <= end:
            days.extend(
                ArticleDay(
                    day=_date(row.get("ref_date")) or day,
                    msgid=str(row.get("msgid") or ""),
                    title=str(row.get("title") or ""),
                    readers=_count(row.get("int_page_read_user")),
                    reads=_count(row.get("int_page_read_count")),
                    original_reads=_count(row.get("ori_page_read_count")),
                    sharers=_count(row.get("share_user")),
                    shares=_count(row.get("share_count")),
                    favourites=_count(row.get("add_to_fav_count")),
                )
                for row in self._cube("/datacube/getarticlesummary", day, day)
            )
            day += datetime.timedelta(days=1)
        return days

    def follower_statistics(self, begin: datetime.date, end: datetime.date) -> list[FollowerDay]:
        """Followers gained and lost per day (summed over their sources) and the total held, 7 days at most."""
        self._check_range(begin, end, most_days=7)
        gained: dict[datetime.date, int] = {}
        lost: dict[datetime.date, int] = {}
        for row in self._cube("/datacube/getusersummary", begin, end):
            day = _date(row.get("ref_date"))
            if day is not None:
                gained[day] = gained.get(day, 0) + _count(row.get("new_user"))
                lost[day] = lost.get(day, 0) + _count(row.get("cancel_user"))
        totals = {
            day: _count(row.get("cumulate_user"))
            for row in self._cube("/datacube/getusercumulate", begin, end)
            if (day := _date(row.get("ref_date"))) is not None
        }
        result = []
        day = begin
        while day <= end:
            result.append(
                FollowerDay(day=day, new=gained.get(day, 0), cancelled=lost.get(day, 0), total=totals.get(day))
            )
            day += datetime.timedelta(days=1)
        return result

    def follower_details(self, openids: list[str]) -> list[Follower]:
        """Up to 100 followers at once (``/cgi-bin/user/info/batchget``): subscription, remark, tags."""
        if not openids or len(openids) > 100:
            raise ContentRejectedError(
                _("WeChat describes 1 to 100 followers at a time."), network=self.network, checked_locally=True
            )
        answer = self.call(
            "POST",
            "/cgi-bin/user/info/batchget",
            body={"user_list": [{"openid": openid, "lang": "zh_CN"} for openid in openids]},
        )
        followers = []
        for entry in answer.get("user_info_list") or []:
            if not isinstance(entry, dict) or not entry.get("openid"):
                continue
            subscribed_at = entry.get("subscribe_time")
            followers.append(
                Follower(
                    openid=str(entry["openid"]),
                    subscribed=bool(entry.get("subscribe")),
                    subscribed_at=(
                        datetime.datetime.fromtimestamp(int(subscribed_at), tz=datetime.UTC)
                        if isinstance(subscribed_at, int)
                        else None
                    ),
                    remark=str(entry.get("remark") or ""),
                    language=str(entry.get("language") or ""),
                    tag_ids=tuple(int(tag) for tag in entry.get("tagid_list") or [] if isinstance(tag, int)),
                    scene=str(entry.get("subscribe_scene") or ""),
                )
            )
        return followers

    # --- tags ----------------------------------------------------------------------------------------------

    def tags(self) -> list[Tag]:
        answer = self.call("GET", "/cgi-bin/tags/get")
        return [
            Tag(id=int(tag["id"]), name=str(tag.get("name") or ""), count=int(tag.get("count") or 0))
            for tag in answer.get("tags") or []
            if isinstance(tag, dict) and "id" in tag
        ]

    def tag_create(self, name: str) -> Tag:
        name = name.strip()
        if not name or len(name) > 30:
            raise ContentRejectedError(
                _("A WeChat tag name has 1 to 30 characters."), network=self.network, checked_locally=True
            )
        answer = self.call("POST", "/cgi-bin/tags/create", body={"tag": {"name": name}})
        tag = answer.get("tag") or {}
        return Tag(id=int(tag["id"]), name=str(tag.get("name") or name))

    def tag_followers(self, tag_id: int, openids: list[str], *, remove: bool = False) -> None:
        """Tag (or untag) up to 50 followers at once (``tags/members/batchtagging``/``batchuntagging``)."""
        if not openids or len(openids) > 50:
            raise ContentRejectedError(
                _("WeChat tags 1 to 50 followers at a time."), network=self.network, checked_locally=True
            )
        path = "/cgi-bin/tags/members/batchuntagging" if remove else "/cgi-bin/tags/members/batchtagging"
        self.call("POST", path, body={"openid_list": openids, "tagid": tag_id})

    def tagged_followers(self, tag_id: int, next_openid: str = "") -> FollowerPage:
        answer = self.call("POST", "/cgi-bin/user/tag/get", body={"tagid": tag_id, "next_openid": next_openid})
        openids = (answer.get("data") or {}).get("openid") or []
        return FollowerPage(
            openids=tuple(str(openid) for openid in openids),
            total=int(answer.get("count") or len(openids)),
            next_openid=str(answer.get("next_openid") or ""),
        )

    # --- customer-service replies -----------------------------------------------------------------------

    def last_interaction(self, openid: str) -> datetime.datetime | None:
        from pappus.connectors.models import WeChatFollowerWindow

        return (
            WeChatFollowerWindow.objects.filter(appid=self.appid, openid=openid)
            .order_by("-last_interaction_at")
            .values_list("last_interaction_at", flat=True)
            .first()
        )

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        """A customer-service message to the follower who wrote ``parent_remote_id`` (text, then images).

        Refused before sending when the follower's last interaction is more than 48 hours old.
        """
        openid = follower_of(parent_remote_id)
        text = request.full_text()
        problems = [problem for problem in self.limits().problems(request) if "characters" not in problem]
        if len(text) > MESSAGE_MAX_CHARACTERS:
            problems.append(
                _("The text is %(length)s characters long; the limit here is %(limit)s.")
                % {"length": len(text), "limit": MESSAGE_MAX_CHARACTERS}
            )
        if problems:
            raise ContentRejectedError(" ".join(problems), network=self.network, checked_locally=True)
        last = self.last_interaction(openid)
        now = timezone.now()
        if last is None or now - last > CUSTOMER_SERVICE_WINDOW:
            when = (
                _("never wrote to the account")
                if last is None
                else _("last wrote %(hours)s hours ago") % {"hours": int((now - last).total_seconds() // 3600)}
            )
            raise ContentRejectedError(
                _(
                    "WeChat lets an official account answer a follower only within 48 hours of their last "
                    "message; this follower %(when)s. The answer was not sent."
                )
                % {"when": when},
                network=self.network,
                checked_locally=True,
            )
        if text.strip():
            self.call(
                "POST",
                "/cgi-bin/message/custom/send",
                body={"touser": openid, "msgtype": "text", "text": {"content": text}},
            )
        for media in request.media:
            media_id = self._upload_temporary(media)
            self.call(
                "POST",
                "/cgi-bin/message/custom/send",
                body={"touser": openid, "msgtype": "image", "image": {"media_id": media_id}},
            )
        # WeChat gives no id for a customer-service message: the follower and the time name it.
        return PublishResult(remote_id=f"{openid}:sent:{int(now.timestamp())}", url="", published_at=now)

    def _upload_temporary(self, media: MediaFile) -> str:
        answer = self.call(
            "POST",
            "/cgi-bin/media/upload",
            params={"type": "image"},
            files={"media": (media.filename, media.content, media.mime_type)},
            repeatable=True,  # a temporary file is never shown by itself
        )
        return str(answer["media_id"])

    # --- articles: draft → publish → status -------------------------------------------------------------

    def _upload_cover(self, media: MediaFile) -> str:
        answer = self.call(
            "POST",
            "/cgi-bin/material/add_material",
            params={"type": "image"},
            files={"media": (media.filename, media.content, media.mime_type)},
            repeatable=True,
        )
        return str(answer["media_id"])

    def _upload_inline(self, media: MediaFile) -> str:
        answer = self.call(
            "POST",
            "/cgi-bin/media/uploadimg",
            files={"media": (media.filename, media.content, media.mime_type)},
            repeatable=True,
        )
        return str(answer["url"])

    def article(self, request: PublishRequest) -> dict[str, Any]:
        """The draft article of a post: the first line is the title, the rest paragraphs, the first image the cover."""
        if not request.media:
            raise ContentRejectedError(
                _("A WeChat article needs a cover image: attach a JPG or PNG file."),
                network=self.network,
                checked_locally=True,
            )
        lines = [line.strip() for line in request.text.strip().splitlines()]
        title = lines[0] if lines else ""
        if not title:
            raise ContentRejectedError(
                _("A WeChat article needs a title: the first line of the text is its title."),
                network=self.network,
                checked_locally=True,
            )
        if len(title) > TITLE_MAX_CHARACTERS:
            raise ContentRejectedError(
                _("The title (the first line) is %(length)s characters long; WeChat allows %(limit)s.")
                % {"length": len(title), "limit": TITLE_MAX_CHARACTERS},
                network=self.network,
                checked_locally=True,
            )
        paragraphs = [f"<p>{html.escape(line)}</p>" for line in lines[1:] if line]
        paragraphs.extend(
            f'<p><img src="{html.escape(self._upload_inline(media))}"></p>' for media in request.media[1:]
        )
        body = "".join(paragraphs) or f"<p>{html.escape(title)}</p>"
        article: dict[str, Any] = {
            "title": title,
            "content": body,
            "thumb_media_id": self._upload_cover(request.media[0]),
            "need_open_comment": 1,
            "only_fans_can_comment": 0,
        }
        if request.link:
            article["content_source_url"] = request.link
        digest = " ".join(line for line in lines[1:] if line)[:120]
        if digest:
            article["digest"] = digest
        return article

    def draft_add(self, request: PublishRequest) -> str:
        """Store the post as a draft (``draft/add``); its media id."""
        self.check_limits(request)
        answer = self.call("POST", "/cgi-bin/draft/add", body={"articles": [self.article(request)]})
        return str(answer["media_id"])

    def publish_submit(self, media_id: str) -> str:
        answer = self.call("POST", "/cgi-bin/freepublish/submit", body={"media_id": media_id})
        return str(answer["publish_id"])

    def publish_status(self, publish_id: str) -> PublishStatus:
        """Where a submitted publication stands (``freepublish/get``); a failure raises ContentRejectedError."""
        answer = self.call("POST", "/cgi-bin/freepublish/get", body={"publish_id": publish_id})
        status = int(answer.get("publish_status", PUBLISH_RUNNING))
        if status in PUBLISH_FAILURES:
            failed = ", ".join(str(index) for index in answer.get("fail_idx") or [])
            reason = str(PUBLISH_FAILURES[status]) + (f" ({failed})" if failed else "")
            raise ContentRejectedError(
                _("WeChat did not publish the article: %(reason)s.") % {"reason": reason}, network=self.network
            )
        detail = answer.get("article_detail") or {}
        urls = tuple(str(item.get("article_url") or "") for item in detail.get("item") or [] if isinstance(item, dict))
        return PublishStatus(
            publish_id=publish_id, status=status, article_id=str(answer.get("article_id") or ""), urls=urls
        )

    def publish(self, request: PublishRequest) -> PublishResult:
        """An article: draft/add, freepublish/submit, then freepublish/get until it is out.

        Publishing is asynchronous at WeChat (review, then publication); when it is still running after
        ``publish_poll_attempts`` looks, the result names the publish id (``publish:<id>``) for
        :meth:`publish_status` to follow later.
        """
        media_id = self.draft_add(request)
        publish_id = self.publish_submit(media_id)
        status = PublishStatus(publish_id=publish_id, status=PUBLISH_RUNNING)
        for attempt in range(self.publish_poll_attempts):
            if attempt:
                time.sleep(self.publish_poll_seconds)
            status = self.publish_status(publish_id)
            if status.done:
                break
        now = timezone.now()
        if status.done and status.article_id:
            return PublishResult(
                remote_id=status.article_id,
                url=status.urls[0] if status.urls else "",
                published_at=now,
                raw={"publish_id": publish_id, "media_id": media_id},
            )
        return PublishResult(remote_id=f"publish:{publish_id}", url="", raw={"media_id": media_id})

    def delete(self, remote_id: str) -> None:
        raise self._unsupported(Capability.MODERATE)
