"""Bluesky (the AT Protocol) over plain httpx against the XRPC endpoints.

API: https://docs.bsky.app/docs/category/http-reference — ``com.atproto.server.createSession``
with an app password, ``com.atproto.repo.createRecord`` / ``deleteRecord`` / ``uploadBlob`` on the
account's PDS, and the ``app.bsky.*`` views (profiles, posts, notifications, search), which the
PDS proxies to the AppView.

Sessions: an app password opens a session (an access JWT of about two hours and a refresh JWT).
The session is kept per process and server, renewed with the refresh JWT when the access token
expires, and opened again with the app password when that fails; Bluesky limits how often
``createSession`` may be called (30 in 5 minutes, 300 a day per account).
"""

from __future__ import annotations

import datetime
import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pappus.connectors.base import MAXIMUM_REASON_CHARACTERS, HttpConnector, _optional_int
from pappus.connectors.bluesky import mapping, richtext
from pappus.connectors.contracts import (
    AccountInfo,
    Capability,
    ConnectField,
    InboundPage,
    MediaFile,
    MetricSnapshot,
    PublishLimits,
    PublishRequest,
    PublishResult,
    RateLimitBudget,
)
from pappus.connectors.errors import (
    AuthExpiredError,
    ConnectorError,
    ContentRejectedError,
    NotFoundError,
    RateLimitedError,
)
from pappus.connectors.registry import register

# app.bsky.feed.post: text of at most 300 graphemes; app.bsky.embed.images: 4 images of at most 1,000,000 bytes;
# app.bsky.embed.video: one MP4 (the lexicon's ``accept: ["video/mp4"]``, ``maxSize: 100000000``), alone.
DEFAULT_LIMITS = PublishLimits(
    max_characters=300,
    max_media=4,
    media_types=frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4"}),
    max_media_bytes=1_000_000,
    count_graphemes=True,
    max_video_bytes=100_000_000,
    video_alone=True,
)
# Blobs are streamed from disk this many bytes at a time.
UPLOAD_CHUNK_BYTES = 256 * 1024
# XRPC error names (the ``error`` field of an error answer) and what they mean here.
AUTH_ERRORS = frozenset(
    {
        "ExpiredToken",
        "InvalidToken",
        "AuthenticationRequired",
        "AuthMissing",
        "AuthFactorTokenRequired",
        "AccountTakedown",
        "AccountDeactivated",
    }
)
NOT_FOUND_ERRORS = frozenset({"NotFound", "RecordNotFound", "ProfileNotFound", "HandleNotFound", "RepoNotFound"})


@dataclass(frozen=True, slots=True)
class Session:
    access_jwt: str
    refresh_jwt: str
    did: str
    handle: str
    pds: str  # where the account's repository lives (its DID document's #atproto_pds)

    def __repr__(self) -> str:  # never shows the tokens
        return f"<Session {self.handle} {self.pds}>"


_SESSIONS: dict[tuple[str, str, str], Session] = {}
_SESSIONS_LOCK = threading.Lock()


def forget_sessions() -> None:
    """Drop every kept session (tests; a changed app password)."""
    with _SESSIONS_LOCK:
        _SESSIONS.clear()


def _now() -> str:
    return timezone.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


@register
class BlueskyConnector(HttpConnector):
    network: ClassVar[str] = "bluesky"
    label: ClassVar[str] = "Bluesky"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(Capability)
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField(
            "identifier",
            gettext_lazy("Handle"),
            help_text=gettext_lazy("The account's handle, such as brand.bsky.social, or its DID."),
        ),
        ConnectField(
            "app_password",
            gettext_lazy("App password"),
            secret=True,
            help_text=gettext_lazy(
                "In Bluesky: Settings → Privacy and security → App passwords → Add App Password. "
                "Never the account's own password."
            ),
        ),
    )
    default_base_url: ClassVar[str] = "https://bsky.social"
    default_limits: ClassVar[PublishLimits | None] = DEFAULT_LIMITS
    # createRecord has no idempotency key (and a post's record key must be a fresh TID).
    idempotency_window_seconds: ClassVar[int] = 0
    streams_files: ClassVar[bool] = True  # blobs are read from disk a chunk at a time
    remote_ids_are_global: ClassVar[bool] = True  # an AT URI names one record on the whole network

    def __init__(self, **arguments: Any) -> None:
        super().__init__(**arguments)
        self.web_url = str(self.options.get("web_url") or mapping.WEB_URL).rstrip("/")
        self._handles: dict[str, str | None] = {}

    def auth_headers(self) -> dict[str, str]:
        return {}  # the session's token goes on each call (it changes when renewed)

    # --- errors ---------------------------------------------------------------------------------

    @staticmethod
    def _xrpc_error(response: httpx.Response) -> tuple[str, str]:
        try:
            body = response.json()
        except ValueError:
            return "", ""
        if not isinstance(body, Mapping):
            return "", ""
        return str(body.get("error") or ""), str(body.get("message") or "")

    def error_reason(self, response: httpx.Response) -> str:
        name, message = self._xrpc_error(response)
        if message and name:
            return f"{message} ({name})"[:MAXIMUM_REASON_CHARACTERS]
        if message or name:
            return (message or name)[:MAXIMUM_REASON_CHARACTERS]
        return super().error_reason(response)

    def read_rate_limit(self, response: httpx.Response) -> RateLimitBudget | None:
        """Bluesky's ``RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` (a Unix time in seconds)."""
        headers = response.headers
        limit = _optional_int(headers.get("ratelimit-limit"))
        remaining = _optional_int(headers.get("ratelimit-remaining"))
        if limit is None and remaining is None:
            return super().read_rate_limit(response)
        reset = _optional_int(headers.get("ratelimit-reset"))
        resets_at = None
        if reset is not None:
            resets_at = datetime.datetime.fromtimestamp(reset, tz=datetime.UTC)
        return RateLimitBudget(limit=limit, remaining=remaining, resets_at=resets_at)

    def map_error(self, response: httpx.Response) -> ConnectorError:
        name, _message = self._xrpc_error(response)
        status = response.status_code
        reason = self.error_reason(response)
        if name in AUTH_ERRORS or status == 401:
            return AuthExpiredError(f"{self.label} refused the session: {reason}", network=self.network, status=status)
        if name in NOT_FOUND_ERRORS:
            return NotFoundError(f"{self.label}: {reason}", network=self.network, status=status)
        if name == "RateLimitExceeded" and status != 429:
            return RateLimitedError(
                f"{self.label} rate limit reached: {reason}",
                retry_after=self.retry_after(response),
                network=self.network,
                status=status,
            )
        return super().map_error(response)

    # --- sessions -------------------------------------------------------------------------------

    @property
    def identifier(self) -> str:
        return str(self.options.get("identifier") or self.credentials.get("identifier") or "").strip().lstrip("@")

    def _session_key(self) -> tuple[str, str, str]:
        password = self.credentials.get("app_password", "")
        return (self.base_url, self.identifier.lower(), hashlib.sha256(password.encode()).hexdigest())

    def _store(self, answer: Mapping[str, Any], *, pds: str = "") -> Session:
        session = Session(
            access_jwt=str(answer["accessJwt"]),
            refresh_jwt=str(answer["refreshJwt"]),
            did=str(answer["did"]),
            handle=str(answer.get("handle") or answer["did"]),
            pds=mapping.pds_endpoint(answer.get("didDoc")) or pds or self.base_url,
        )
        with _SESSIONS_LOCK:
            _SESSIONS[self._session_key()] = session
        return session

    def _create_session(self) -> Session:
        password = self.credentials.get("app_password", "")
        if not self.identifier or not password:
            raise AuthExpiredError(_("A handle and an app password are needed."), network=self.network)
        answer = self.request_json(
            "POST",
            f"{self.base_url}/xrpc/com.atproto.server.createSession",
            json={"identifier": self.identifier, "password": password},
        )
        return self._store(answer)

    def _session(self) -> Session:
        with _SESSIONS_LOCK:
            session = _SESSIONS.get(self._session_key())
        return session or self._create_session()

    def _renew(self, session: Session) -> Session:
        """A new access token from the refresh token; the app password again when that is refused too."""
        try:
            answer = self.request_json(
                "POST",
                f"{session.pds}/xrpc/com.atproto.server.refreshSession",
                headers={"Authorization": f"Bearer {session.refresh_jwt}"},
            )
        except AuthExpiredError:
            return self._create_session()
        return self._store(answer, pds=session.pds)

    def xrpc(self, method: str, nsid: str, **arguments: Any) -> Any:
        """One authenticated XRPC call on the account's PDS; an expired session is renewed once."""
        with _SESSIONS_LOCK:
            cached = _SESSIONS.get(self._session_key())
        session = cached or self._create_session()
        try:
            return self._call(session, method, nsid, arguments)
        except AuthExpiredError:
            if cached is None:
                raise  # a session made for this very call was refused: renewing it cannot help
            # The refused request was not carried out, so sending it again is safe.
            return self._call(self._renew(session), method, nsid, arguments)

    def _call(self, session: Session, method: str, nsid: str, arguments: Mapping[str, Any]) -> Any:
        headers = {**(arguments.get("headers") or {}), "Authorization": f"Bearer {session.access_jwt}"}
        response = self.request(method, f"{session.pds}/xrpc/{nsid}", **{**arguments, "headers": headers})
        if not response.content:
            return {}
        return self.read_json(response)

    # --- account --------------------------------------------------------------------------------

    def account_info(self) -> AccountInfo:
        session = self._session()
        try:
            profile = self.xrpc("GET", "app.bsky.actor.getProfile", params={"actor": session.did})
        except NotFoundError:
            # A new account the AppView has not indexed yet: what the session says is enough.
            profile = {"did": session.did, "handle": session.handle}
        return mapping.account_info(profile, self.web_url)

    def account_metrics(self) -> MetricSnapshot:
        profile = self.xrpc("GET", "app.bsky.actor.getProfile", params={"actor": self._session().did})
        return MetricSnapshot(
            taken_at=timezone.now(),
            followers=profile.get("followersCount"),
            following=profile.get("followsCount"),
            posts=profile.get("postsCount"),
        )

    # --- publishing -----------------------------------------------------------------------------

    def _resolve_handle(self, handle: str) -> str | None:
        if handle not in self._handles:
            try:
                answer = self.xrpc("GET", "com.atproto.identity.resolveHandle", params={"handle": handle})
                self._handles[handle] = str(answer["did"])
            except (NotFoundError, ContentRejectedError):
                self._handles[handle] = None
        return self._handles[handle]

    def _upload(self, media: MediaFile) -> dict[str, Any]:
        """uploadBlob with the file as the raw body, read from disk a chunk at a time (Content-Length given)."""
        answer = self.xrpc(
            "POST",
            "com.atproto.repo.uploadBlob",
            content=media.body(UPLOAD_CHUNK_BYTES),
            headers={"Content-Type": media.mime_type, "Content-Length": str(media.size)},
            repeatable=True,  # a blob no record points at is never shown (and is cleaned up by the PDS)
        )
        blob: dict[str, Any] = answer["blob"]
        return blob

    def _create_post(self, request: PublishRequest, *, reply: Mapping[str, Any] | None = None) -> PublishResult:
        self.check_limits(request)
        session = self._session()
        text = request.full_text()
        record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text, "createdAt": _now()}
        facets = richtext.facets(text, self._resolve_handle)
        if facets:
            record["facets"] = facets
        if len(request.media) == 1 and request.media[0].mime_type.startswith("video/"):
            # The video as a blob of the account's own PDS (uploadBlob), not through Bluesky's video
            # service (video.bsky.app's uploadVideo, which transcodes it): see docs/connectors.md.
            video = request.media[0]
            record["embed"] = {"$type": "app.bsky.embed.video", "video": self._upload(video)}
            if video.description:
                record["embed"]["alt"] = video.description
        elif request.media:
            record["embed"] = {
                "$type": "app.bsky.embed.images",
                "images": [{"alt": media.description, "image": self._upload(media)} for media in request.media],
            }
        if reply:
            record["reply"] = dict(reply)
        created = self.xrpc(
            "POST",
            "com.atproto.repo.createRecord",
            json={"repo": session.did, "collection": mapping.POST_COLLECTION, "record": record},
        )
        uri = str(created["uri"])
        return PublishResult(
            remote_id=uri,
            url=mapping.post_url(uri, session.handle, self.web_url),
            published_at=timezone.now(),
            raw={"uri": uri, "cid": created.get("cid"), "record": record},
        )

    def publish(self, request: PublishRequest) -> PublishResult:
        return self._create_post(request)

    def _post_view(self, uri: str) -> dict[str, Any]:
        """A post's uri, cid and record: from the AppView, or from the repository when not indexed yet."""
        parsed = self._parse(uri)
        answer = self.xrpc("GET", "app.bsky.feed.getPosts", params={"uris": [uri]})
        posts = answer.get("posts") or []
        if posts:
            post: dict[str, Any] = posts[0]
            return post
        try:
            stored = self.xrpc(
                "GET",
                "com.atproto.repo.getRecord",
                params={"repo": parsed.repo, "collection": parsed.collection, "rkey": parsed.rkey},
            )
        except ContentRejectedError as error:  # another PDS's repository: "Could not locate record"
            raise NotFoundError(f"{self.label}: {error.reason}", network=self.network) from error
        return {"uri": stored["uri"], "cid": stored["cid"], "record": stored.get("value") or {}}

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        """Answer a post: the reply points at it (parent) and at its thread's first post (root)."""
        parent = self._post_view(parent_remote_id)
        parent_ref = {"uri": parent["uri"], "cid": parent["cid"]}
        thread = (parent.get("record") or {}).get("reply")
        root: Mapping[str, Any] = parent_ref
        if isinstance(thread, Mapping) and isinstance(thread.get("root"), Mapping):
            root = thread["root"]
        return self._create_post(
            request, reply={"root": {"uri": root["uri"], "cid": root["cid"]}, "parent": parent_ref}
        )

    def _parse(self, uri: str) -> mapping.AtUri:
        try:
            return mapping.parse_at_uri(uri)
        except ValueError as error:
            raise NotFoundError(str(error), network=self.network) from error

    def delete(self, remote_id: str) -> None:
        """Delete one of the account's own posts (Bluesky lets nobody delete another account's posts)."""
        parsed = self._parse(remote_id)
        session = self._session()
        if parsed.repo != session.did:
            raise ContentRejectedError(
                _("Bluesky lets an account delete only its own posts."), network=self.network, checked_locally=True
            )
        self.xrpc(
            "POST",
            "com.atproto.repo.deleteRecord",
            json={"repo": session.did, "collection": parsed.collection, "rkey": parsed.rkey},
        )

    def post_metrics(self, remote_id: str) -> MetricSnapshot:
        """Likes, shares (reposts and quotes) and replies as the AppView counts them."""
        self._parse(remote_id)
        answer = self.xrpc("GET", "app.bsky.feed.getPosts", params={"uris": [remote_id]})
        posts = answer.get("posts") or []
        if not posts:
            raise NotFoundError(f"{self.label}: no post {remote_id}", network=self.network)
        post = posts[0]
        reposts, quotes = post.get("repostCount"), post.get("quoteCount")
        shares = None if reposts is None and quotes is None else (reposts or 0) + (quotes or 0)
        return MetricSnapshot(
            taken_at=timezone.now(),
            remote_id=str(post["uri"]),
            likes=post.get("likeCount"),
            shares=shares,
            replies=post.get("replyCount"),
        )

    # --- reading ----------------------------------------------------------------------------------

    def inbox(self, *, cursor: str = "", limit: int = 40) -> InboundPage:
        """Replies, mentions and quotes from the notifications, newest first.

        ``cursor`` is the time the newest notification seen was indexed; only later ones are new.
        Notifications are not marked as seen (that stays the person's, in their Bluesky app).
        """
        answer = self.xrpc("GET", "app.bsky.notification.listNotifications", params={"limit": min(limit, 100)})
        notifications = [entry for entry in answer.get("notifications") or [] if isinstance(entry, Mapping)]
        fresh = [entry for entry in notifications if not cursor or str(entry.get("indexedAt") or "") > cursor]
        items = []
        for entry in fresh:
            item = mapping.inbound_notification(entry, self.web_url)
            if item is not None:
                items.append(item)
        newest = max((str(entry.get("indexedAt") or "") for entry in notifications), default="")
        return InboundPage(items=tuple(items), cursor=max(newest, cursor))

    def listen(self, query: str, *, limit: int = 40) -> InboundPage:
        answer = self.xrpc("GET", "app.bsky.feed.searchPosts", params={"q": query, "limit": min(limit, 100)})
        return InboundPage(items=tuple(mapping.inbound_post(post, self.web_url) for post in answer.get("posts") or []))
