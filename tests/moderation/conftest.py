"""Fixtures the moderation tests share."""

import pytest

from moderation.models import Flag
from tests.moderation.messages import RED, send


@pytest.fixture
def red_flag(mum, open_room, django_capture_on_commit_callbacks):
    """Amy's RED message in the open group room, its flag not yet announced."""
    with django_capture_on_commit_callbacks(execute=False):
        send(mum, open_room.pk, RED)
    return Flag.objects.get(message__body=RED)
