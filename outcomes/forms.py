"""Forms for questionnaires, feedback and the service's measures. Validation only."""

from __future__ import annotations

from django import forms

from outcomes.measures import BUILT_IN, Measure
from outcomes.models import Agreement, Feedback
from outcomes.selectors import Wording


class QuestionnaireForm(forms.Form):
    """One radio group per item; the values are the printed positions of the options."""

    def __init__(self, *args, definition: Measure, wording: Wording, **kwargs):
        super().__init__(*args, **kwargs)
        # A measure whose subscales tolerate a missing item lets her skip one.
        skippable = any(s.missing_allowed for s in definition.subscales)
        for item in wording.items:
            self.fields[f"item_{item.number}"] = forms.TypedChoiceField(
                label=f"{item.number}. {item.text}",
                choices=[(str(p), label) for p, label in enumerate(item.options)],
                coerce=int,
                widget=forms.RadioSelect,
                required=not skippable,
                empty_value=None,
                error_messages={"required": "Please choose an answer."},
            )

    def positions(self) -> dict[int, int | None]:
        return {int(name.removeprefix("item_")): value for name, value in self.cleaned_data.items()}


class FeedbackForm(forms.Form):
    recommend = forms.TypedChoiceField(
        label="How likely are you to recommend Village to a friend who needs support? "
        "(0 not at all likely, 10 extremely likely)",
        choices=[(str(n), str(n)) for n in range(11)],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "scale"}),
    )
    comment = forms.CharField(
        label="Anything you'd like to tell us? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    comment_shareable = forms.BooleanField(
        required=False,
        label="You may share my comment, without my name, in reports about the service",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        statements = {
            name: forms.ChoiceField(
                label=text,
                choices=Agreement.choices,
                widget=forms.RadioSelect,
                required=False,
            )
            for name, text in Feedback.STATEMENTS
        }
        self.fields = {**statements, **self.fields}


def _measure_label(definition: Measure) -> str:
    kind = "licensed: needs its wording" if definition.licensed else "wording built in"
    return f"{definition.name} ({kind})"


class OutcomeSettingsForm(forms.Form):
    measures = forms.MultipleChoiceField(
        choices=[(m.slug, _measure_label(m)) for m in BUILT_IN.values()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Measures this service uses",
    )
    follow_up_weeks = forms.IntegerField(
        min_value=1,
        max_value=52,
        label="Weeks between follow-ups",
        help_text="Members are asked at the start, this often, and at the end.",
    )


class WordingForm(forms.Form):
    """A licensed measure's wording, typed in from the service's licensed copy."""

    licence = forms.CharField(
        max_length=200,
        label="Licence",
        help_text="The licence or permission under which the service uses this wording.",
    )
    stem = forms.CharField(
        max_length=1000,
        required=False,
        label="Instructions shown above the questions",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, definition: Measure, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition
        for number in range(1, definition.item_count + 1):
            reverse = number in definition.reverse_items
            self.fields[f"item_{number}_text"] = forms.CharField(
                max_length=500, label=f"Item {number}: wording"
            )
            self.fields[f"item_{number}_options"] = forms.CharField(
                label=f"Item {number}: its {definition.option_count} answers, one per line, "
                "in the printed order",
                help_text="This item is scored in reverse: the first answer scores highest."
                if reverse
                else "",
                widget=forms.Textarea(attrs={"rows": definition.option_count}),
            )

    def clean(self):
        cleaned = super().clean()
        for number in range(1, self.definition.item_count + 1):
            options = [
                line.strip()
                for line in cleaned.get(f"item_{number}_options", "").splitlines()
                if line.strip()
            ]
            if f"item_{number}_options" in cleaned and len(options) != self.definition.option_count:
                self.add_error(
                    f"item_{number}_options",
                    f"Please enter exactly {self.definition.option_count} answers, one per line.",
                )
        return cleaned

    def items(self) -> list[dict]:
        return [
            {
                "text": self.cleaned_data[f"item_{n}_text"],
                "options": self.cleaned_data[f"item_{n}_options"].splitlines(),
            }
            for n in range(1, self.definition.item_count + 1)
        ]
