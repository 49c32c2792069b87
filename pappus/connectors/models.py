"""Connected network accounts and their encrypted credentials."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pappus.core.models import Region, Workspace, WorkspaceManager


class Network(models.TextChoices):
    """Networks with a connector. Later slices add Reddit, YouTube and X."""

    MASTODON = "mastodon", "Mastodon"
    MATRIX = "matrix", "Matrix"
    BLUESKY = "bluesky", "Bluesky"
    TELEGRAM = "telegram", "Telegram"
    VK = "vk", "VK"
    FACEBOOK = "facebook", "Facebook Pages"
    INSTAGRAM = "instagram", "Instagram"
    REDDIT = "reddit", "Reddit"
    X = "x", "X"
    YOUTUBE = "youtube", "YouTube"
    WECHAT = "wechat", "WeChat Official Account"
    WEIBO = "weibo", "Weibo"
    DOUYIN = "douyin", "Douyin"
    TOUTIAO = "toutiao", "Toutiao"


class AccountStatus(models.TextChoices):
    ACTIVE = "active", _("Working")
    EXPIRED = "expired", _("Token expired: reconnect")
    FAILING = "failing", _("Failing")
    DISCONNECTED = "disconnected", _("Disconnected")


class ConnectedAccount(models.Model):
    """One account on one network that a workspace publishes and listens through.

    The health fields (status, last sync, last error, rate-limit budget, token expiry) are kept
    current by every call and by the scheduled token check; disconnecting keeps the row and its
    history, and reconnecting the same remote account reuses it.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="connected_accounts")
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="connected_accounts"
    )
    network = models.CharField(_("network"), max_length=20, choices=Network.choices)
    base_url = models.URLField(_("server address"), max_length=500)
    handle = models.CharField(_("handle"), max_length=300)
    display_name = models.CharField(_("display name"), max_length=300, blank=True)
    remote_id = models.CharField(_("remote id"), max_length=300)
    profile_url = models.URLField(_("profile address"), max_length=1000, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    # How long this account's server honours an idempotency key, when it differs from what the
    # network's connector declares (a server speaking Mastodon's API that ignores the key: 0).
    # None: the connector's declaration holds.
    idempotency_window_override = models.PositiveIntegerField(_("idempotency window (seconds)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=AccountStatus.choices, default=AccountStatus.ACTIVE)
    token_expires_at = models.DateTimeField(_("token expires"), null=True, blank=True)
    last_sync_at = models.DateTimeField(_("last sync"), null=True, blank=True)
    # Where the last inbox read stopped (the network's own token: a notification id, a sync batch,
    # an update offset); saved only after the items read are stored, so a crash re-reads, never skips.
    inbox_cursor = models.CharField(_("inbox position"), max_length=500, blank=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_code = models.CharField(_("last error kind"), max_length=40, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    # The outcome of the last post publishing sent through this account (recorded by publishing
    # through the facade): None before the first; the error's kind and the network's reason on a failure.
    last_publish_at = models.DateTimeField(_("last publish"), null=True, blank=True)
    last_publish_ok = models.BooleanField(_("last publish succeeded"), null=True, blank=True)
    last_publish_error_code = models.CharField(_("last publish error kind"), max_length=40, blank=True)
    last_publish_error = models.TextField(_("last publish error"), blank=True)
    rate_limit_limit = models.PositiveIntegerField(_("rate limit"), null=True, blank=True)
    rate_limit_remaining = models.PositiveIntegerField(_("rate limit left"), null=True, blank=True)
    rate_limit_resets_at = models.DateTimeField(_("rate limit resets"), null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    connected_at = models.DateTimeField(_("connected"), auto_now_add=True)
    disconnected_at = models.DateTimeField(_("disconnected"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("connected account")
        verbose_name_plural = _("connected accounts")
        ordering = ("network", "handle")
        constraints = (
            models.UniqueConstraint(
                fields=("workspace", "network", "base_url", "remote_id"), name="connected_account_unique_remote"
            ),
        )
        indexes = (models.Index(fields=("status", "last_checked_at"), name="connected_account_health"),)

    def __str__(self) -> str:
        return f"{self.get_network_display()} {self.handle}"

    @property
    def is_connected(self) -> bool:
        return self.status != AccountStatus.DISCONNECTED


class AccountCredentials(models.Model):
    """An account's tokens, encrypted as one Fernet token; never logged, audited or returned by the API."""

    account = models.OneToOneField(ConnectedAccount, on_delete=models.CASCADE, related_name="stored_credentials")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    credentials = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("account credentials")
        verbose_name_plural = _("account credentials")

    def __str__(self) -> str:
        return f"credentials of account {self.account_id}"

    def __repr__(self) -> str:
        return f"<AccountCredentials account={self.account_id}>"


class OAuthApp(models.Model):
    """The app a workspace registered with a network for OAuth sign-in (self-hosted: each brings its own).

    The client secret is a Fernet token like account credentials (empty for a public client that signs
    in with PKCE alone); the endpoints default to the network's and can point at a compatible server.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="oauth_apps")
    network = models.CharField(_("network"), max_length=20, choices=Network.choices)
    client_id = models.CharField(_("client id"), max_length=300)
    client_secret = models.TextField(_("client secret"), blank=True)
    authorize_url = models.URLField(_("authorization address"), max_length=500)
    token_url = models.URLField(_("token address"), max_length=500)
    api_base_url = models.URLField(_("API address"), max_length=500)
    scopes = models.CharField(_("scopes"), max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("OAuth app")
        verbose_name_plural = _("OAuth apps")
        constraints = (models.UniqueConstraint(fields=("workspace", "network"), name="oauth_app_one_per_network"),)

    def __str__(self) -> str:
        return f"{self.get_network_display()} app {self.client_id}"

    def __repr__(self) -> str:  # never shows the secret
        return f"<OAuthApp {self.network} workspace={self.workspace_id}>"


class OAuthState(models.Model):
    """A started OAuth sign-in: single-use, expiring, bound to the user and the session that started it.

    Only hashes of the ``state`` and of the session key are kept; the PKCE verifier is encrypted.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    app = models.ForeignKey(OAuthApp, on_delete=models.CASCADE, related_name="states")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state_hash = models.CharField(max_length=64, unique=True)
    session_key_hash = models.CharField(max_length=64)
    code_verifier = models.TextField()
    redirect_uri = models.URLField(max_length=500)
    # Set when the sign-in reconnects an account (it must come back as the same remote account).
    account = models.ForeignKey(ConnectedAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The account's plain options chosen before signing in (a default subreddit), kept for the new account.
    options = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("OAuth sign-in in progress")
        verbose_name_plural = _("OAuth sign-ins in progress")

    def __str__(self) -> str:
        return f"OAuth sign-in {self.pk}"


class OAuthChoice(models.Model):
    """The accounts an OAuth sign-in gave access to, waiting for the person to pick (Facebook Pages).

    Single-use and expiring like :class:`OAuthState`, bound to the user and session that signed in;
    the candidates with their tokens are one Fernet token, like account credentials.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    app = models.ForeignKey(OAuthApp, on_delete=models.CASCADE, related_name="choices")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key_hash = models.CharField(max_length=64)
    candidates = models.TextField()
    granted_scopes = models.JSONField(default=list, blank=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("OAuth account choice in progress")
        verbose_name_plural = _("OAuth account choices in progress")

    def __str__(self) -> str:
        return f"OAuth account choice {self.pk}"

    def __repr__(self) -> str:  # never shows the tokens
        return f"<OAuthChoice {self.pk} workspace={self.workspace_id}>"


class WeChatAccessToken(models.Model):
    """A WeChat official account's access token, cached for every worker until shortly before it expires.

    WeChat gives one token per app (app id and secret) and limits how often it may be fetched, so
    workers share it: one refreshes at a time under this row's lock, the others wait and read it.
    ``app_key`` is a SHA-256 of the app id and secret: only a holder of the secret reaches the row.
    The token is a Fernet token like account credentials.
    """

    app_key = models.CharField(max_length=64, unique=True)
    token = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    refresh_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("WeChat access token")
        verbose_name_plural = _("WeChat access tokens")

    def __str__(self) -> str:
        return f"WeChat access token {self.pk}"

    def __repr__(self) -> str:  # never shows the token
        return f"<WeChatAccessToken {self.pk}>"


class WeChatFollowerWindow(models.Model):
    """When a follower last wrote to (or clicked in, or followed) an official account.

    WeChat lets the account send customer-service messages to a follower only within 48 hours of
    that; the callback keeps this row current and the connector checks it before answering.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(ConnectedAccount, on_delete=models.CASCADE, related_name="wechat_windows")
    appid = models.CharField(max_length=64, db_index=True)
    openid = models.CharField(max_length=128)
    last_interaction_at = models.DateTimeField()

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("WeChat follower window")
        verbose_name_plural = _("WeChat follower windows")
        constraints = (models.UniqueConstraint(fields=("account", "openid"), name="wechat_window_unique_follower"),)

    def __str__(self) -> str:
        return f"WeChat window {self.pk}"


class WeChatNonce(models.Model):
    """A (timestamp, nonce) a signed WeChat callback used, remembered while its timestamp is in the
    accepted window so that a captured request cannot be replayed."""

    account = models.ForeignKey(ConnectedAccount, on_delete=models.CASCADE, related_name="+")
    timestamp = models.BigIntegerField()
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("WeChat callback nonce")
        verbose_name_plural = _("WeChat callback nonces")
        constraints = (models.UniqueConstraint(fields=("account", "timestamp", "nonce"), name="wechat_nonce_unique"),)

    def __str__(self) -> str:
        return f"WeChat nonce {self.pk}"


class UploadSession(models.Model):
    """A network's resumable upload session for one file of one post (YouTube's session address),
    kept so that a later sending attempt continues the upload instead of sending the file again.

    The address is a capability (whoever holds it may upload to it), so it is stored Fernet-encrypted
    like credentials; ``key`` is a SHA-256 of the post's idempotency key and the file's name, type and
    size, never the key itself. Rows older than the network keeps sessions are ignored and removed.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(ConnectedAccount, on_delete=models.CASCADE, related_name="upload_sessions")
    key = models.CharField(max_length=64)
    address = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("upload session")
        verbose_name_plural = _("upload sessions")
        constraints = (models.UniqueConstraint(fields=("account", "key"), name="upload_session_unique_key"),)

    def __str__(self) -> str:
        return f"upload session of account {self.account_id}"
