"""The rules for a display name, wherever one is chosen (sign-up, profile, invitation, admin).

A name is what others trust when deciding who is speaking: a member must not
be able to pass as the team. So a name may not hide characters or turn text
around; a member's name may not read like a staff member's name or carry a
role word; and no two staff names read alike. Names are compared by what they
look like (accounts.text.skeleton), not by their code points.

The role badge is drawn from the role field, never from the name (chat.js).
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError

from accounts import text
from accounts.models import Role, User

# Words that say someone speaks for Village; as a word anywhere in a member's name.
ROLE_WORDS = (
    "volunteer",
    "coordinator",
    "moderator",
    "admin",
    "administrator",
    "staff",
    "team",
    "village",
    "mod",
)
STAFF_ROLES = (Role.VOLUNTEER, Role.COORDINATOR)

HIDDEN = (
    "Your name has a hidden character in it (one that can't be seen, or that changes "
    "which way text runs). Please type your name again without it."
)
TOO_LONG = "Please choose a name of at most %(longest)d characters."
NOTHING_VISIBLE = "Please choose a name with at least one letter or number in it."
ROLE_WORD = (
    "Words like “volunteer”, “coordinator” and “team” are kept for the Village team, so "
    "that everyone knows who's who. Please choose another name."
)
STAFF_NAME = (
    "That name belongs to someone on the Village team (or looks just like it). Please choose "
    "another, so that everyone knows who's who."
)
TAKEN_BY_STAFF = "Someone else on the team has that name (or one that looks just like it)."


def _role_skeletons() -> frozenset[str]:
    shapes = set()
    for word in ROLE_WORDS:
        shape = text.collapsed(word)
        shapes.update({shape, shape + text.collapsed("s")})
    return frozenset(shapes)


def staff_names(*, excluding: User | None = None) -> list[str]:
    """The current display names of every volunteer and coordinator (but `excluding`)."""
    people = User.objects.filter(role__in=STAFF_ROLES, anonymised_at__isnull=True)
    if excluding is not None and excluding.pk is not None:
        people = people.exclude(pk=excluding.pk)
    return list(people.values_list("display_name", flat=True))


def check_display_name(value: str, *, role: str, person: User | None = None) -> str:
    """The name `value`, tidied, if `person` with `role` may use it.

    Tidied: spaces collapsed, and NFKC (full-width "Ａｍｙ" is kept as "Amy").

    `person` is the one choosing it (None while signing up): her own current
    name never counts against her. Raises ValidationError with words for her.
    """
    name = unicodedata.normalize("NFKC", " ".join(value.split()))
    longest = User._meta.get_field("display_name").max_length
    if len(name) > longest:  # NFKC can lengthen a name ("ﷺ" is 18 letters)
        raise ValidationError(TOO_LONG % {"longest": longest}, code="too_long")
    if text.hidden_characters(name):
        raise ValidationError(HIDDEN, code="hidden_characters")
    if not text.has_visible_character(name):
        raise ValidationError(NOTHING_VISIBLE, code="nothing_visible")
    shape = text.collapsed(name)
    others = {text.collapsed(other) for other in staff_names(excluding=person)}
    if role in STAFF_ROLES:
        if shape in others:
            raise ValidationError(TAKEN_BY_STAFF, code="staff_name_taken")
        return name
    role_words = _role_skeletons()
    if shape in role_words or any(word in role_words for word in text.words(name)):
        raise ValidationError(ROLE_WORD, code="role_word")
    if shape in others:
        raise ValidationError(STAFF_NAME, code="staff_name")
    return name


def members_with_confusing_names() -> list[User]:
    """Members whose current name breaks today's rules (chosen before they existed).

    They are left as they are; coordinators can ask them to change (see the
    `check_display_names` command).
    """
    found = []
    members = User.objects.filter(role=Role.MEMBER, anonymised_at__isnull=True)
    for member in members.order_by("pk"):
        try:
            check_display_name(member.display_name, role=Role.MEMBER, person=member)
        except ValidationError:
            found.append(member)
    return found
