from django.shortcuts import render


def home(request):
    """Signed-in people see their rooms; visitors see what Village is."""
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    return render(request, "home.html", {"rooms": []})
