from django.urls import path

from outcomes import staff_views

urlpatterns = [
    path("", staff_views.report_page, name="staff_reports"),
    path("report.csv", staff_views.report_csv, name="staff_reports_csv"),
    path("charts/change.svg", staff_views.change_chart, name="staff_reports_change_chart"),
    path("charts/reach.svg", staff_views.reach_chart, name="staff_reports_reach_chart"),
]
