from outcomes import policy
from outcomes.selectors import due_prompts


def outcome_prompts(request):
    """Her due questionnaires and surveys, for the home page only (a callable: it
    is read only where a template shows it, never on a chat page)."""
    user = getattr(request, "user", None)

    def prompts():
        return due_prompts(member=user) if policy.can_answer_questionnaires(user) else None

    return {"outcome_prompts": prompts}
