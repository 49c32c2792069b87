"""The listening pages and the inbound webhook: thin, they parse, call services or selectors, render."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from pappus.listening import services, webhooks

logger = logging.getLogger(__name__)


@csrf_exempt  # signed with the source's secret instead (webhooks.verify)
@require_POST
def webhook_receive(request: HttpRequest, token: str) -> JsonResponse:
    """Store a signed delivery and queue it: 202 with the delivery id, or the refusal's status and reason."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) > webhooks.DEFAULT_MAXIMUM_BYTES * 10:
        return JsonResponse({"detail": f"the body is {length} bytes; too large"}, status=413)
    try:
        delivery = services.webhook_delivery_receive(
            token=token,
            body=request.body,
            content_type=request.content_type or "",
            timestamp=request.headers.get(webhooks.TIMESTAMP_HEADER),
            delivery_id=request.headers.get(webhooks.DELIVERY_HEADER),
            signature=request.headers.get(webhooks.SIGNATURE_HEADER),
        )
    except webhooks.WebhookRefusedError as refused:
        logger.info("listening.webhook.refused status=%s reason=%s", refused.status, refused.reason)
        return JsonResponse({"detail": refused.reason}, status=refused.status)
    return JsonResponse({"detail": "accepted", "delivery": delivery.pk}, status=202)
