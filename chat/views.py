"""Pages of the chat: the room list and the room page (the live parts are static/js/chat.js)."""

from datetime import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from accounts.signup import private_details_first
from chat import policy, services
from chat.selectors import next_session_start, rooms_for
from moderation.policy import can_mark_missed
from moderation.selectors import unseen_warnings


class OpenDirectChatForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        label="Why are you opening this 1:1 chat?",
        help_text="This is a private conversation. Your reason is recorded in the audit log.",
    )


@private_details_first
def home(request):
    """Signed-in people see their rooms; visitors see what Village is."""
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    rooms = rooms_for(user=request.user)
    for room in rooms:
        room["next_session_at"] = (
            datetime.fromisoformat(room["next_session"]) if room["next_session"] else None
        )
    return render(
        request,
        "home.html",
        {
            "group_rooms": [r for r in rooms if r["kind"] == "group"],
            "direct_rooms": [r for r in rooms if r["kind"] == "direct"],
            "warnings": unseen_warnings(request.user),
        },
    )


@login_required
@private_details_first
def room(request, room_id: int):
    """The live room. Someone else's 1:1 opens only with a stated reason (audited on join)."""
    try:
        context = services.room_page(user=request.user, room_id=room_id)
    except services.ChatError:
        raise Http404 from None
    reason = ""
    if context.access.needs_reason:
        form = OpenDirectChatForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            return render(
                request, "chat/open_direct_chat.html", {"room": context.room, "form": form}
            )
        reason = form.cleaned_data["reason"]
    room = context.room
    return render(
        request,
        "chat/room.html",
        {
            "room": room,
            "access": context.access,
            "reason": reason,
            "can_manage_session": policy.can_manage_session(context.access, room),
            "can_mark_missed": can_mark_missed(request.user),
            "next_session_at": None if room.is_direct else next_session_start(room),
            "warnings": unseen_warnings(request.user),
        },
    )
