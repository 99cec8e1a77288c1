"""The live queue of flags: coordinators see all, lead volunteers their rooms'.

Each action is one POST calling one service; the page refreshes its list when
a flag arrives or changes (static/js/queue.js). The page is chat's because it
puts moderation's flags beside chat's messages and acts on both (release, hide,
restore, block, remove from a room): moderation, below chat, never imports it.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from chat import services as chat_services
from chat.selectors import led_room_ids, messages_around
from moderation import policy, services
from moderation.forms import (
    EscalateForm,
    MuteForm,
    ReasonForm,
    ResolveForm,
    WarnForm,
    errors_in_words,
)
from moderation.models import Flag, Mute
from moderation.selectors import active_mutes, flag_context, open_flags_for
from moderation.views import closed_to_her


def queue_page(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not policy.can_view_queue(request.user):
            return closed_to_her(request)
        return view(request, *args, **kwargs)

    return wrapper


def _cards(user):
    led_rooms = led_room_ids(user)
    flags = list(open_flags_for(user)[:100])
    # 1:1 messages she is about to read are audited before she sees them.
    services.record_direct_excerpts_seen(viewer=user, flags=flags)
    return [
        {
            "flag": flag,
            **messages_around(flag.message),
            **flag_context(flag, viewer=user, led_rooms=led_rooms),
        }
        for flag in flags
    ]


@queue_page
def queue(request):
    context = {
        "cards": _cards(request.user),
        "can_sanction": policy.can_sanction(request.user),
        "led_rooms": sorted(led_room_ids(request.user)),
        "mutes": active_mutes() if policy.can_sanction(request.user) else [],
        "resolve_form": ResolveForm(),
        "warn_form": WarnForm(),
        "mute_form": MuteForm(),
        "reason_form": ReasonForm(),
    }
    template = (
        "moderation/queue_list.html" if request.GET.get("partial") else "moderation/queue.html"
    )
    return render(request, template, context)


def _flag(request, flag_id: int) -> Flag:
    flag = Flag.objects.filter(pk=flag_id).first()
    if flag is None or not policy.can_act_on_flag(
        request.user, flag=flag, led_room_ids=led_room_ids(request.user)
    ):
        raise Http404  # a flag she may not act on looks like one that does not exist
    return flag


def _done(request, text: str):
    messages.success(request, text)
    return redirect("moderation_queue")


def _refused(request, detail: str):
    messages.error(request, detail)
    return redirect("moderation_queue")


@queue_page
@require_POST
def act(request, flag_id: int, action: str):
    """Acknowledge, escalate, release, hide, restore (lead volunteers and coordinators)."""
    flag = _flag(request, flag_id)
    try:
        if action == "acknowledge":
            services.acknowledge_flag(actor=request.user, flag_id=flag.pk)
            return _done(request, "You're on it: others can see that.")
        if action == "escalate":
            form = EscalateForm(request.POST)
            if not form.is_valid():
                return _refused(request, errors_in_words(form))
            escalated = services.escalate_flag(
                actor=request.user, flag_id=flag.pk, note=form.cleaned_data["note"]
            )
            if not escalated.newly:
                return _done(request, "The coordinators already have this one.")
            return _done(request, "The coordinators have been told.")
        message_actions = {
            "release": (chat_services.release_held_message, "Shared with the room."),
            "hide": (chat_services.hide_message, "Hidden from members."),
            "restore": (chat_services.restore_message, "Restored to the room."),
            "block": (chat_services.block_held_message, "Kept back from the room."),
        }
        if action in message_actions and flag.message_id:
            service, text = message_actions[action]
            service(actor=request.user, message_id=flag.message_id)
            return _done(request, text)
    except chat_services.ChatError as error:
        return _refused(request, error.detail)
    raise PermissionDenied


@queue_page
@require_POST
def sanction(request, flag_id: int, action: str):
    """Resolve, warn, mute, remove, suspend: coordinators only."""
    if not policy.can_sanction(request.user):
        raise PermissionDenied
    flag = _flag(request, flag_id)
    member = flag.subject
    if member is None and action != "resolve":
        return _refused(request, "This flag is about a referral: she has no account to act on.")
    if action == "resolve":
        form = ResolveForm(request.POST, flag=flag)
        if form.is_valid():
            services.resolve_flag(actor=request.user, flag_id=flag.pk, **form.cleaned_data)
            return _done(request, "Resolved.")
    elif action == "warn":
        form = WarnForm(request.POST)
        if form.is_valid():
            services.warn_member(actor=request.user, member=member, note=form.cleaned_data["note"])
            return _done(request, f"{member.display_name} will see your note.")
    elif action == "mute":
        form = MuteForm(request.POST)
        if form.is_valid():
            services.mute_member(
                actor=request.user,
                member=member,
                room_id=flag.room_id if form.cleaned_data["scope"] == "room" else None,
                minutes=form.cleaned_data["minutes"] or None,
                reason=form.cleaned_data["reason"],
            )
            return _done(request, f"{member.display_name} is muted.")
    elif action in ("remove", "suspend"):
        form = ReasonForm(request.POST)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            if action == "suspend":
                services.suspend_account(actor=request.user, member=member, reason=reason)
                return _done(request, f"{member.display_name}'s account is suspended.")
            try:
                chat_services.remove_from_room(
                    actor=request.user, room_id=flag.room_id, person=member, reason=reason
                )
            except chat_services.ChatError as error:
                return _refused(request, error.detail)
            return _done(request, f"{member.display_name} is no longer in the room.")
    else:
        raise PermissionDenied
    return _refused(request, "That wasn't saved. " + errors_in_words(form))


@queue_page
@require_POST
def lift_mute(request, mute_id: int):
    if not policy.can_sanction(request.user):
        raise PermissionDenied
    mute = get_object_or_404(Mute, pk=mute_id)
    services.lift_mute(actor=request.user, mute_id=mute.pk)
    return _done(request, f"{mute.user.display_name} can post again.")
