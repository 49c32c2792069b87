from django.urls import path

from pappus.strategy import views

app_name = "strategy"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("brand/", views.brand, name="brand"),
    path("audiences/", views.audiences, name="audiences"),
    path("programs/", views.programs, name="programs"),
    path("programs/<int:program_id>/", views.program_detail, name="program"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path("kpis/<int:kpi_id>/values/", views.kpi_record, name="kpi_record"),
    path("templates/", views.templates, name="templates"),
    path("document/", views.documents, name="documents"),
    path("document/<int:version>.pdf", views.document_pdf, name="document_pdf"),
    path("document/<int:version>.md", views.document_markdown, name="document_markdown"),
]
