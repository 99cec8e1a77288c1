"""The coordinators' reports page, its CSV export and its two charts.

All four take the same query (period, optional room or volunteer) and the same
permission; the figures come from `outcomes.reports`, already with small
numbers hidden. A bad query shows its error and no figures, never a default.
"""

from __future__ import annotations

import csv
from datetime import date
from functools import wraps
from urllib.parse import urlencode

from csp.decorators import csp_replace
from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts.forms import DateInput
from accounts.models import Role, User
from accounts.views import staff_page
from chat.models import Room
from outcomes import charts, policy, reports
from outcomes.reports import Period, Scope

# Reports look back, and a little ahead; far dates are typing slips.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
# matplotlib's SVG styles its shapes inline; an image cannot run scripts, and
# nothing in it comes from a person's words, so its own policy allows that.
SVG_POLICY = csp_replace(
    {"default-src": ["'none'"], "style-src": ["'unsafe-inline'"], "script-src": ["'none'"]}
)


class VolunteerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class ReportForm(forms.Form):
    date_from = forms.DateField(
        label="From",
        widget=DateInput,
        error_messages={
            "required": "Enter the first day of the period.",
            "invalid": "Enter the first day of the period as a real date, like 2025-07-01.",
        },
    )
    date_to = forms.DateField(
        label="To",
        widget=DateInput,
        error_messages={
            "required": "Enter the last day of the period.",
            "invalid": "Enter the last day of the period as a real date, like 2026-06-30.",
        },
    )
    room = forms.ModelChoiceField(
        queryset=Room.objects.filter(kind=Room.Kind.GROUP),
        required=False,
        empty_label="All group rooms",
        label="One group room (optional)",
    )
    volunteer = VolunteerChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="All volunteers",
        label="One volunteer's 1:1s (optional)",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Volunteers now, and anyone who has been paired as one (reports look back).
        self.fields["volunteer"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(Q(role=Role.VOLUNTEER) | Q(pairings_as_volunteer__isnull=False))
            .distinct()
            .order_by("display_name", "id")
        )

    def clean(self):
        cleaned = super().clean()
        for name in ("date_from", "date_to"):
            day = cleaned.get(name)
            if day and not EARLIEST <= day <= LATEST:
                self.add_error(name, "Choose a date from the year 2000 to 2099.")
                cleaned.pop(name, None)
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_to", "The last day is before the first day.")
            elif (end - start).days > reports.LONGEST_PERIOD_DAYS:
                self.add_error("date_to", "Choose a period of at most 5 years.")
        if cleaned.get("room") and cleaned.get("volunteer"):
            raise forms.ValidationError("Choose one group room or one volunteer, not both.")
        return cleaned

    def scope(self) -> Scope:
        data = self.cleaned_data
        return Scope(
            period=Period(start=data["date_from"], end=data["date_to"]),
            room=data.get("room"),
            volunteer=data.get("volunteer"),
        )

    def query(self) -> str:
        """The query string of this report, for its CSV and chart links."""
        data = self.cleaned_data
        params = {
            "date_from": data["date_from"].isoformat(),
            "date_to": data["date_to"].isoformat(),
        }
        for name in ("room", "volunteer"):
            if data.get(name) is not None:
                params[name] = data[name].pk
        return urlencode(params)


def _form(request: HttpRequest) -> ReportForm:
    """The report asked for; a date left out of the query is the default period's.

    A date given but empty or wrong is an error, never replaced by the default.
    """
    period = Period.last_twelve_months(today=timezone.localdate())
    data = request.GET.copy()
    data.setdefault("date_from", period.start.isoformat())
    data.setdefault("date_to", period.end.isoformat())
    return ReportForm(data)


def reports_page(view):
    """Coordinators (staff pages, with MFA) whom the outcomes policy lets see reports."""

    @never_cache
    @staff_page
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not policy.can_view_reports(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _bad_query(form: ReportForm) -> HttpResponse:
    problems = [str(e) for errors in form.errors.values() for e in errors]
    return HttpResponse(
        "This report cannot be made: " + " ".join(problems),
        status=400,
        content_type="text/plain; charset=utf-8",
    )


@reports_page
def report_page(request):
    form = _form(request)
    if not form.is_valid():
        return render(request, "outcomes/reports/page.html", {"form": form, "result": None})
    result = reports.report(scope=form.scope())
    return render(
        request,
        "outcomes/reports/page.html",
        {
            "form": form,
            "result": result,
            "query": form.query(),
            "small_number_rule": reports.SMALL_NUMBER_RULE,
            "change_alt": charts.change_alt_text(result.score_changes),
            "reach_alt": charts.reach_alt_text(result.reach.months),
        },
    )


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A text cell that a spreadsheet will not run as a formula (numbers stay numbers)."""
    try:
        float(text)
    except ValueError:
        return "'" + text if text.startswith(FORMULA_START) else text
    return text


@reports_page
def report_csv(request):
    form = _form(request)
    if not form.is_valid():
        return _bad_query(form)
    scope = form.scope()
    result = reports.report(scope=scope)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="village-report-{scope.period.start}-to-{scope.period.end}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(["Section", "Row", "Figure", "Value"])
    about = "About this report"
    writer.writerow([about, "Period", "First day", scope.period.start.isoformat()])
    writer.writerow([about, "Period", "Last day", scope.period.end.isoformat()])
    writer.writerow([about, "Covers", "", _cell(scope.anonymous_label)])
    writer.writerow([about, "Small numbers", "", reports.SMALL_NUMBER_RULE])
    for row in reports.table_rows(result):
        writer.writerow([_cell(text) for text in row])
    return response


def _subtitle(scope: Scope) -> str:
    return f"{scope.anonymous_label}, {scope.period.label}"


def _svg(content: bytes) -> HttpResponse:
    return HttpResponse(content, content_type="image/svg+xml")


@reports_page
@SVG_POLICY
def change_chart(request):
    form = _form(request)
    if not form.is_valid():
        return _bad_query(form)
    scope = form.scope()
    rows = reports.score_changes(scope=scope)
    return _svg(charts.change_in_scores(rows=rows, subtitle=_subtitle(scope)))


@reports_page
@SVG_POLICY
def reach_chart(request):
    form = _form(request)
    if not form.is_valid():
        return _bad_query(form)
    scope = form.scope()
    reached = reports.reach(scope=scope)
    return _svg(charts.reach_over_time(months=reached.months, subtitle=_subtitle(scope)))
