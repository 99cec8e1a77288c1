from django.shortcuts import render

from chat import periodic


def home(request):
    """Signed-in people see their rooms; visitors see what Village is."""
    periodic.start_in_web_process()
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    return render(request, "home.html", {"rooms": []})


def room(request, room_id: int):
    """The room page (built next: the live chat)."""
    from django.http import Http404

    raise Http404
