from django.shortcuts import render

from chat import periodic


def home(request):
    """Signed-in people see their rooms; visitors see what Village is."""
    periodic.start_in_web_process()
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    return render(request, "home.html", {"rooms": []})
