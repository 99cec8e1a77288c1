"""Forms for the coordinators' rules and settings pages.

Forms only check what was typed; the writes (and the audit entries) are
`moderation.services.save_rule` and `save_site_settings`.
"""

from __future__ import annotations

import calendar
from datetime import time

from django import forms
from django.conf import settings

from moderation.models import Level, Rule
from moderation.policy import MIN_DISTINCT_REPORTERS
from moderation.protocols import RoomKind
from moderation.scanner import normalise

# The categories SAFEGUARDING.md names (slugs are part of the contract).
KNOWN_CATEGORIES = ("self_harm", "baby_harm", "psychosis", "abuse_dv", "contact", "hostility")
TERM_MAX_LENGTH = 120
EXCEPTION_MAX_LENGTH = 200
# Staffed hours are "HH:MM" strings compared as text, so a day runs to "24:00".
END_OF_DAY = "24:00"
WEEKDAYS = tuple(enumerate(calendar.day_name))  # ((0, "Monday"), ..., (6, "Sunday"))


def rooms_for_rules():
    """Every room, reached through the rules' own link to rooms (a string foreign
    key): moderation does not import chat."""
    return Rule.rooms.field.related_model.objects.order_by("name", "id")


def category_choices(categories) -> list[tuple[str, str]]:
    return [
        ("", "Any category"),
        *((c, c) for c in sorted(set(KNOWN_CATEGORIES) | set(categories))),
    ]


class RuleFilterForm(forms.Form):
    term = forms.CharField(required=False, max_length=120, label="Word or phrase contains")
    category = forms.ChoiceField(required=False)
    level = forms.ChoiceField(required=False, choices=[("", "Any level"), *Level.choices])
    state = forms.ChoiceField(
        required=False,
        label="On or off",
        choices=[("", "On and off"), ("on", "On only"), ("off", "Off only")],
    )

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(categories)


class TryMessageForm(forms.Form):
    text = forms.CharField(
        label="Message",
        max_length=settings.VILLAGE_MESSAGE_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Type a message as a mum might write it to see what the rules and the "
        "risk model would do. Nothing is sent or saved.",
    )

    def clean_text(self):
        text = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError("Type a message to try.")
        return text


class LinesField(forms.CharField):
    """A textarea holding a list: one item a line, blank lines and repeats dropped."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value

    def to_python(self, value):
        lines = []
        for line in (value or "").splitlines():
            line = " ".join(line.split())
            if line and line not in lines:
                lines.append(line)
        return lines

    def has_changed(self, initial, data):
        return self.to_python(self.prepare_value(initial or [])) != self.to_python(data)


class RuleForm(forms.ModelForm):
    term = forms.CharField(
        label="Word or phrase",
        # No max_length here: clean_term says the limit in plain words.
        widget=forms.TextInput(attrs={"maxlength": TERM_MAX_LENGTH, "autocomplete": "off"}),
        help_text="Whole words only, unless you put * at the start or end: kill* also matches "
        "“killing” and “killed”; *harm also matches “selfharm”. A * can't go in the middle. "
        "Capitals, accents, spaced-out or dotted letters and look-alike characters are "
        "matched anyway.",
        error_messages={"required": "Type the word or phrase the rule looks for."},
    )
    category = forms.SlugField(
        max_length=32,
        help_text="Choose one of the usual categories or type a new one "
        "(lower-case letters, numbers and _).",
        widget=forms.TextInput(attrs={"list": "rule-categories", "autocomplete": "off"}),
        error_messages={
            "required": "Choose a category.",
            "invalid": "Use lower-case letters, numbers and _ only, like self_harm.",
        },
    )
    exceptions = LinesField(
        required=False,
        label="Exceptions",
        help_text="Phrases in which the word doesn't count, one a line. For example, for "
        "“kill” you might add “kill for a coffee”.",
    )
    rooms = forms.ModelMultipleChoiceField(
        required=False,
        queryset=rooms_for_rules().filter(kind=RoomKind.GROUP),
        widget=forms.CheckboxSelectMultiple,
        label="Rooms",
        help_text="Tick none to use the rule in every room, including 1:1 chats.",
    )

    class Meta:
        model = Rule
        fields = [
            "term",
            "category",
            "level",
            "action",
            "exceptions",
            "rooms",
            "applies_to",
            "enabled",
        ]
        labels = {
            "level": "Level",
            "action": "What happens",
            "applies_to": "Whose messages",
            "enabled": "This rule is on",
        }
        help_texts = {
            "level": "Red: someone may be in danger now. Amber: a coordinator should look "
            "soon. Green: noted, nothing automatic.",
            "action": "The level's default: red messages are held from a group (and delivered, "
            "flagged, in a 1:1), amber ones are shared and flagged, contact details are held.",
            "enabled": "Rules are never deleted; switch one off instead.",
        }

    def clean_term(self):
        term = " ".join(self.cleaned_data["term"].split())
        core = term.removeprefix("*").removesuffix("*")
        if not core.strip("* "):
            raise forms.ValidationError("Type a word or phrase, not just *.")
        if "*" in core:
            raise forms.ValidationError(
                "A * can only go at the start or the end of the word or phrase, not in the middle."
            )
        if core != core.strip():
            raise forms.ValidationError("Put the * right next to the word, with no space.")
        if not normalise(core)[0].strip():
            # Only apostrophes or invisible characters: the scanner would never match it.
            raise forms.ValidationError("Type a word or phrase with letters or numbers in it.")
        if len(term) > TERM_MAX_LENGTH:
            raise forms.ValidationError(
                f"Keep the word or phrase to {TERM_MAX_LENGTH} characters or fewer "
                f"(this one has {len(term)})."
            )
        return term

    def clean_category(self):
        return self.cleaned_data["category"].lower()

    def clean_exceptions(self):
        exceptions = self.cleaned_data["exceptions"]
        too_long = [e for e in exceptions if len(e) > EXCEPTION_MAX_LENGTH]
        if too_long:
            raise forms.ValidationError(
                f"Keep each exception to {EXCEPTION_MAX_LENGTH} characters or fewer; "
                f"this one is longer: “{too_long[0][:40]}…”"
            )
        return exceptions


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


ONE_PERSON_REFUSED = (
    f"Please choose at least {MIN_DISTINCT_REPORTERS}, so that one person's reports "
    "alone can never hide a message or mute someone."
)


LEVEL_WORDS = {"review": "review (AMBER)", "red": "red"}
# The thresholds offered for the model, beside the recommended and saved ones.
THRESHOLD_CHOICES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98)


class SiteSettingsForm(forms.Form):
    """Staffed hours (one time a day), the crisis card, the contact rule, the
    off-hours thresholds. `values()` gives what changed, for the service."""

    crisis_card_text = forms.CharField(
        required=False,
        label="Crisis card text",
        max_length=4000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="One paragraph a line. Leave it empty to use Village's default text, "
        "shown below.",
    )
    contact_rule_enabled = forms.BooleanField(
        required=False,
        label="Hold messages that share contact details or move off Village",
        help_text="Phone numbers, emails, addresses, social media, “add me on…”. "
        "A coordinator looks at each one before it is shared.",
    )
    off_hours_hide_after_reports = forms.IntegerField(
        min_value=MIN_DISTINCT_REPORTERS,
        max_value=50,
        label="Out of hours, hide a message once this many different people report it",
        help_text="It stays hidden until a coordinator reviews it. Never a volunteer's "
        "or a coordinator's message.",
        error_messages={"min_value": ONE_PERSON_REFUSED},
    )
    off_hours_mute_after_reports = forms.IntegerField(
        min_value=MIN_DISTINCT_REPORTERS,
        max_value=50,
        label="Out of hours, mute a member once this many different people report her",
        help_text="She is muted in every room until a coordinator reviews it. Never a "
        "volunteer or a coordinator.",
        error_messages={"min_value": ONE_PERSON_REFUSED},
    )
    off_hours_report_window_hours = forms.IntegerField(
        min_value=1,
        max_value=168,
        label="Count the reports about her from the last this many hours",
        help_text="Between 1 and 168 (a week). Older reports still reach the queue.",
    )

    model_enabled = forms.BooleanField(
        required=False,
        label="Screen messages with the risk model beside the rules",
        help_text="The model reads meaning the rules miss (other words, other languages). "
        "Its decisions are labelled as the model's on the queue, with its score.",
    )

    def __init__(self, *args, settings_row, model_curves=None, recommended=None, **kwargs):
        self.settings_row = settings_row
        self.saved_hours = [list(slot) for slot in settings_row.staffed_hours or []]
        self.model_curves = model_curves or {}
        self.recommended = recommended or {}
        saved_thresholds = {
            category: {**self.recommended.get(category, {}), **chosen}
            for category, chosen in {
                **{c: {} for c in self.recommended},
                **(settings_row.model_thresholds or {}),
            }.items()
        }
        self.saved_thresholds = saved_thresholds
        initial = {
            "model_enabled": settings_row.model_enabled,
            "crisis_card_text": settings_row.crisis_card_text,
            "contact_rule_enabled": settings_row.contact_rule_enabled,
            "off_hours_hide_after_reports": settings_row.off_hours_hide_after_reports,
            "off_hours_mute_after_reports": settings_row.off_hours_mute_after_reports,
            "off_hours_report_window_hours": settings_row.off_hours_report_window_hours,
        }
        for day, _name in WEEKDAYS:
            slots = self._saved_slots(day)
            initial[f"staffed_{day}"] = bool(slots)
            initial[f"from_{day}"] = slots[0][1] if slots else "09:00"
            end = slots[0][2] if slots else "17:00"
            # A time box cannot show 24:00; midnight at the end of the day shows as 00:00.
            initial[f"to_{day}"] = "00:00" if end == END_OF_DAY else end
        super().__init__(*args, initial=initial, **kwargs)
        for day, _name in WEEKDAYS:
            self.fields[f"staffed_{day}"] = forms.BooleanField(required=False, label="Staffed")
            self.fields[f"from_{day}"] = forms.TimeField(
                required=False, label="From", widget=TimeInput
            )
            self.fields[f"to_{day}"] = forms.TimeField(required=False, label="To", widget=TimeInput)
        for category, levels in saved_thresholds.items():
            for level, value in levels.items():
                name = f"{level}_{category}"
                self.fields[name] = forms.TypedChoiceField(
                    coerce=float,
                    required=False,
                    empty_value=None,
                    label=f"{category}: {LEVEL_WORDS[level]} threshold",
                    choices=self._threshold_choices(category, level, value),
                    help_text=self._now(category, value),
                )
                self.initial[name] = f"{value:.2f}"

    def _measured(self, category: str, value: float) -> dict | None:
        for point in self.model_curves.get(category, []):
            if f"{point['threshold']:.2f}" == f"{value:.2f}":
                return point
        return None

    def _threshold_choices(self, category: str, level: str, saved: float) -> list:
        """Each threshold with what it measured on the held-out split, in short."""
        recommended = self.recommended.get(category, {}).get(level)
        wanted = sorted({*THRESHOLD_CHOICES, saved, *([recommended] if recommended else [])})
        choices = []
        for value in wanted:
            words = f"{value:.2f}"
            point = self._measured(category, value)
            if point:
                words += (
                    f": {100 * point['caught'] / point['lines']:.0f}% caught, "
                    f"{1000 * point['false_alarms'] / point['everyday']:.1f} false alarms in 1,000"
                )
            if recommended is not None and f"{value:.2f}" == f"{recommended:.2f}":
                words += " (recommended)"
            choices.append((f"{value:.2f}", words))
        return choices

    def _now(self, category: str, value: float) -> str:
        """The saved threshold's figures in words, under its box."""
        point = self._measured(category, value)
        if point is None:
            return ""
        return (
            f"At {value:.2f} it caught {point['caught']} of {point['lines']} held-out "
            f"{category} lines and raised {point['false_alarms']} false "
            f"alarm{'' if point['false_alarms'] == 1 else 's'} on "
            f"{point['everyday']:,} everyday lines."
        )

    def thresholds(self):
        """(category, review field, red field or None) for the template."""
        for category, levels in self.saved_thresholds.items():
            yield {
                "category": category,
                "review": self[f"review_{category}"],
                "red": self[f"red_{category}"] if "red" in levels else None,
            }

    def _saved_slots(self, day: int) -> list[list]:
        return [slot for slot in self.saved_hours if int(slot[0]) == day]

    def weekdays(self):
        """(name, staffed, from, to, extra saved times) for each day, for the template."""
        for day, name in WEEKDAYS:
            yield {
                "name": name,
                "staffed": self[f"staffed_{day}"],
                "start": self[f"from_{day}"],
                "end": self[f"to_{day}"],
                "more": len(self._saved_slots(day)) - 1,
            }

    def clean_crisis_card_text(self):
        return paragraphs_text(self.cleaned_data["crisis_card_text"])

    def clean(self):
        cleaned = super().clean()
        hours = []
        for day, name in WEEKDAYS:
            day_fields = (f"staffed_{day}", f"from_{day}", f"to_{day}")
            if not any(field in self.changed_data for field in day_fields):
                # Untouched days keep what was saved (even two times in one day).
                hours.extend(self._saved_slots(day))
                continue
            if not cleaned.get(f"staffed_{day}"):
                continue
            start, end = cleaned.get(f"from_{day}"), cleaned.get(f"to_{day}")
            if start is None or end is None:
                if f"from_{day}" not in self.errors and f"to_{day}" not in self.errors:
                    self.add_error(f"to_{day}", f"Give a start and an end time for {name}.")
                continue
            start, end = _hhmm(start), END_OF_DAY if end == time(0) else _hhmm(end)
            if start >= end:
                self.add_error(f"to_{day}", f"On {name} the end time must be after the start.")
                continue
            hours.append([day, start, end])
        cleaned["staffed_hours"] = sorted(hours, key=lambda slot: (int(slot[0]), slot[1]))
        chosen = {}
        for category, levels in self.saved_thresholds.items():
            if any(f"{level}_{category}" in self.errors for level in levels):
                continue
            # A form sent without a threshold (an older page) keeps the saved one.
            values = {
                level: saved
                if cleaned.get(f"{level}_{category}") is None
                else cleaned[f"{level}_{category}"]
                for level, saved in levels.items()
            }
            if "red" in values and values["red"] < values["review"]:
                self.add_error(
                    f"red_{category}",
                    f"The red threshold for {category} must be at least its review threshold.",
                )
            own = {
                level: value
                for level, value in values.items()
                if value != self.recommended.get(category, {}).get(level)
            }
            if own:
                chosen[category] = own
        cleaned["model_thresholds"] = chosen
        return cleaned

    def values(self) -> dict:
        """The settings that differ from the saved ones, as `save_site_settings` takes them."""
        row = self.settings_row
        candidates = {
            "staffed_hours": self.cleaned_data["staffed_hours"],
            "crisis_card_text": self.cleaned_data["crisis_card_text"],
            "contact_rule_enabled": self.cleaned_data["contact_rule_enabled"],
            "off_hours_hide_after_reports": self.cleaned_data["off_hours_hide_after_reports"],
            "off_hours_mute_after_reports": self.cleaned_data["off_hours_mute_after_reports"],
            "off_hours_report_window_hours": self.cleaned_data["off_hours_report_window_hours"],
            "model_enabled": self.cleaned_data["model_enabled"],
            "model_thresholds": self.cleaned_data["model_thresholds"],
        }
        saved = {name: getattr(row, name) for name in candidates}
        saved["model_thresholds"] = row.model_thresholds or {}
        saved["staffed_hours"] = sorted(
            ([int(s[0]), s[1], s[2]] for s in self.saved_hours), key=lambda s: (s[0], s[1])
        )
        saved["crisis_card_text"] = paragraphs_text(row.crisis_card_text or "")
        return {name: value for name, value in candidates.items() if value != saved[name]}


def paragraphs_text(text: str) -> str:
    """The crisis card's text as stored: one paragraph a line, no blank lines."""
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")
