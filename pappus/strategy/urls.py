from django.urls import path

from pappus.strategy import views

app_name = "strategy"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("brand/", views.brand, name="brand"),
    path("audiences/", views.audiences, name="audiences"),
    path("programs/", views.programs, name="programs"),
    path("programs/<int:program_id>/", views.program_detail, name="program"),
    path("programs/<int:program_id>/dashboard/", views.program_dashboard, name="program_dashboard"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:campaign_id>/dashboard/", views.campaign_dashboard, name="campaign_dashboard"),
    path("kpis/<int:kpi_id>/values/", views.kpi_record, name="kpi_record"),
    path("templates/", views.templates, name="templates"),
    path("templates/new/", views.template_new, name="template_new"),
    path("templates/<int:template_id>/", views.template_edit, name="template"),
    path("competitors/<int:competitor_id>/", views.competitor_edit, name="competitor"),
    path("audiences/<int:audience_id>/", views.audience_edit, name="audience"),
    path("risks/<int:risk_id>/", views.risk_edit, name="risk"),
    path("raci/<int:assignment_id>/", views.raci_edit, name="raci"),
    path("document/", views.documents, name="documents"),
    path("document/<int:version>.pdf", views.document_pdf, name="document_pdf"),
    path("document/<int:version>.md", views.document_markdown, name="document_markdown"),
]
