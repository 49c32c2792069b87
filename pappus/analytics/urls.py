from django.urls import path

from pappus.analytics import report_views, views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/<slug:key>.csv", views.export_csv, name="export"),
    path("export/<slug:key>.xlsx", views.export_xlsx, name="export_xlsx"),
    path("reports/", report_views.archive, name="reports"),
    path("reports/generate/", report_views.generate_now, name="report_generate"),
    path("reports/schedules/", report_views.schedule_edit, name="report_schedule_create"),
    path("reports/schedules/<int:schedule_id>/", report_views.schedule_edit, name="report_schedule"),
    path("reports/schedules/<int:schedule_id>/delete/", report_views.schedule_delete, name="report_schedule_delete"),
    path("reports/<int:report_id>/", report_views.report_page, name="report"),
    path("reports/<int:report_id>/pdf/", report_views.report_pdf, name="report_pdf"),
]
