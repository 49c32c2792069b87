"""The pixel's public endpoints and the pages that set it up and import web-analytics exports.

The pixel (``/t/p.js``, ``/t/hit.gif``) needs no sign-in and sets no cookie; any site may load it
(CORS-safe: a GET image or a credential-less ``sendBeacon`` POST, nothing to read back). The pages
need ``reports.manage``.
"""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from pappus.core.models import Membership
from pappus.core.views import actor_of, member_required
from pappus.traffic import imports, pixel, services
from pappus.traffic.forms import MappingForm, SiteForm, UploadForm
from pappus.traffic.models import ImportStatus, Site, TrafficImport

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
SNIPPET = """(function(){var s=document.currentScript,k=s&&s.getAttribute("data-site");if(!k)return;
var b=s.src.replace(/\\/t\\/p\\.js.*$/,"")+"/t/hit.gif";
function send(e,n){var q="k="+encodeURIComponent(k)+"&e="+e+"&u="+encodeURIComponent(location.href)+
"&r="+encodeURIComponent(document.referrer||"")+(n?"&n="+encodeURIComponent(n):""),u=b+"?"+q;
if(navigator.sendBeacon&&navigator.sendBeacon(u))return;var i=new Image();i.src=u;}
window.pappus=function(e,n){send(e==="conversion"?"conversion":"view",n);};send("view");})();
"""
STATUS = {
    pixel.Outcome.COUNTED: 204,
    pixel.Outcome.ROBOT: 204,
    pixel.Outcome.UNKNOWN_SITE: 404,
    pixel.Outcome.FOREIGN_HOST: 403,
    pixel.Outcome.BAD_PAGE: 400,
    pixel.Outcome.LIMITED: 429,
}


def _public(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def snippet(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(SNIPPET, content_type="text/javascript; charset=utf-8")
    response = _public(response)
    response["Cache-Control"] = "public, max-age=3600"
    return response


@csrf_exempt  # a credential-less beacon from another site; it changes nothing a session owns
@require_http_methods(["GET", "POST"])
def hit(request: HttpRequest) -> HttpResponse:
    """Record a page view (``e=view``) or conversion (``e=conversion``) of page ``u`` on site ``k``.

    A GET answers a transparent GIF whatever happened (an image must not break the page), with the
    outcome in ``X-Pappus-Outcome``; a POST (``sendBeacon``) answers its status: 204 counted or
    ignored robot, 400 bad page, 403 page not on the site's hosts, 404 unknown key, 429 too many."""
    values = request.GET
    page = values.get("u", "") or request.headers.get("Referer", "")
    outcome = pixel.record_hit(
        pixel.Hit(
            site_key=values.get("k", ""),
            kind="conversion" if values.get("e") == "conversion" else "view",
            page_url=page[:2000],
            referrer=values.get("r", "")[:2000],
            address=request.META.get("REMOTE_ADDR", ""),
            user_agent=request.headers.get("User-Agent", "")[:500],
            accept_language=request.headers.get("Accept-Language", "")[:200],
        )
    )
    if request.method == "GET":
        response = HttpResponse(GIF, content_type="image/gif", status=429 if outcome == pixel.Outcome.LIMITED else 200)
    else:
        response = HttpResponse(status=STATUS[outcome])
    response["X-Pappus-Outcome"] = outcome.value
    return _public(response)


# --- pages ----------------------------------------------------------------------------------------


def _page(request: HttpRequest, membership: Membership, **extra: Any) -> HttpResponse:
    context: dict[str, Any] = {
        "page_title": _("Web traffic"),
        "sites": Site.objects.for_workspace(membership.workspace_id).order_by("name"),
        "imports": TrafficImport.objects.for_workspace(membership.workspace_id).order_by("-created_at")[:20],
        "site_form": SiteForm(),
        "upload_form": UploadForm(),
        "base_url": request.build_absolute_uri("/").rstrip("/"),
    }
    context.update(extra)
    return render(request, "traffic/settings.html", context, status=400 if extra else 200)


@require_GET
@member_required(services.MANAGE)
def settings_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _page(request, membership)


@require_http_methods(["POST"])
@member_required(services.MANAGE)
def site_create(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = SiteForm(request.POST)
    if form.is_valid():
        try:
            services.site_create(actor=actor_of(request), membership=membership, **form.cleaned_data)
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(name if name in form.fields else None, problem)
        else:
            messages.success(request, _("Site added: paste its snippet into your landing pages."))
            return redirect("traffic:settings")
    return _page(request, membership, site_form=form)


@require_http_methods(["POST"])
@member_required(services.MANAGE)
def site_rotate_key(request: HttpRequest, membership: Membership, site_id: int) -> HttpResponse:
    services.site_rotate_key(actor=actor_of(request), membership=membership, site_id=site_id)
    messages.success(request, _("New key made: replace the snippet on your pages; the old key counts nothing now."))
    return redirect("traffic:settings")


@require_http_methods(["POST"])
@member_required(services.MANAGE)
def import_upload(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            created = services.import_upload(
                actor=actor_of(request),
                membership=membership,
                name=upload.name,
                data=upload.read(imports.MAXIMUM_BYTES + 1),
            )
        except ValidationError as error:
            for problem in error.message_dict.get("file", error.messages):
                form.add_error("file", problem)
        else:
            return redirect("traffic:import", import_id=created.pk)
    return _page(request, membership, upload_form=form)


@require_http_methods(["GET", "POST"])
@member_required(services.MANAGE)
def import_detail(request: HttpRequest, membership: Membership, import_id: int) -> HttpResponse:
    upload = get_object_or_404(TrafficImport.objects.for_workspace(membership.workspace_id), pk=import_id)
    context: dict[str, Any] = {"page_title": upload.file_name, "upload": upload}
    if upload.status != ImportStatus.PREVIEW:
        return render(request, "traffic/import.html", context)
    columns = imports.columns(upload.content)
    form = MappingForm(request.POST or None, columns=columns, initial=imports.suggest_mapping(columns))
    status = 200
    if request.method == "POST" and request.POST.get("action") != "preview":
        if form.is_valid():
            try:
                services.import_commit(
                    actor=actor_of(request), membership=membership, import_id=upload.pk, mapping=form.cleaned_data
                )
            except ValidationError as error:
                for problem in error.messages:
                    form.add_error(None, problem)
            else:
                return redirect("traffic:import", import_id=upload.pk)
        status = 400
    mapping = {name: value for name, value in (form.data or form.initial).items() if name in imports.FIELDS and value}
    preview = None
    try:
        preview = imports.parse(upload.content, imports.check_mapping(mapping, columns))
    except ValueError:
        preview = None
    context.update({"columns": columns, "rows": imports.preview_rows(upload.content), "form": form, "preview": preview})
    return render(request, "traffic/import.html", context, status=status)
