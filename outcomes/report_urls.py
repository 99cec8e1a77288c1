from django.urls import path

from outcomes import report_views

urlpatterns = [
    path("", report_views.report_page, name="staff_reports"),
    path("report.csv", report_views.report_csv, name="staff_reports_csv"),
    path("charts/change.svg", report_views.change_chart, name="staff_reports_change_chart"),
    path("charts/reach.svg", report_views.reach_chart, name="staff_reports_reach_chart"),
]
