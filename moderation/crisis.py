"""The crisis card: always one tap away, shown at once after a RED message.

Coordinators edit the text with the moderation work; until then this default
(SAFEGUARDING.md) is what everyone sees. It never echoes a message.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_CRISIS_CARD = (
    "It sounds like things are really hard right now. You don't have to cope with "
    "this on your own.",
    "If you or your baby are in danger now, or you have hurt yourself, call 999 or go to A&E.",
    "Urgent mental health help: call NHS 111 and choose the mental health option. "
    "It's free, any time.",
    "Talk to someone now: Samaritans on 116 123 (free, any time), or text SHOUT to 85258.",
    "Not safe at home? National Domestic Abuse Helpline: 0808 2000 247 (free, "
    "any time). If you call 999 from a mobile and can't speak, press 55.",
    "Feeling confused, not sleeping, seeing or hearing things after birth? That "
    "can be postpartum psychosis and needs help today: call 111 or 999.",
    "This chat is not an emergency service.",
)
TEAM_TOLD = "We've let the team know."
NOBODY_WATCHING = (
    "Nobody from the team is watching the chat right now. If you need help now, "
    "use the numbers above."
)


@dataclass(frozen=True)
class CrisisCard:
    paragraphs: tuple[str, ...]
    team_told: bool
    staffed: bool = True

    def as_frame(self) -> dict:
        return {
            "paragraphs": list(self.paragraphs),
            "team_told": self.team_told,
            "staffed": self.staffed,
        }


def crisis_card(
    *, after_flag: bool = False, staffed: bool = True, paragraphs: tuple[str, ...] | None = None
) -> CrisisCard:
    """The card to show: `after_flag` adds that the team was told; outside
    staffed hours it says plainly that nobody is watching."""
    text = (paragraphs or DEFAULT_CRISIS_CARD) + ((TEAM_TOLD,) if after_flag else ())
    if not staffed:
        text += (NOBODY_WATCHING,)
    return CrisisCard(paragraphs=text, team_told=after_flag, staffed=staffed)
