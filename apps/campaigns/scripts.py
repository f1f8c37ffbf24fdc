"""Script templates: "Hello {customer_name}, this is {agent_name} from {company_name}".

Placeholders are checked when the campaign is saved (an unknown name is refused, with the list of
known ones), and rendered safely: a value the lead does not have renders as the placeholder's
fallback text, never as "{first_name}" or "None", and braces inside values are never re-read.
"""

import re
from string import Formatter

from django.core.exceptions import ValidationError

_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"[ \t]+([,.!?;:])")

# name -> (what it is, what it renders as when the value is missing)
PLACEHOLDERS: dict[str, tuple[str, str]] = {
    "customer_name": ("the lead's full name", "there"),
    "first_name": ("the lead's first name", "there"),
    "last_name": ("the lead's last name", ""),
    "company_name": ("the lead's company", "your company"),
    "job_title": ("the lead's job title", ""),
    "city": ("the lead's city", ""),
    "agent_name": ("the name of the agent calling", "our team"),
    "business_name": ("the calling tenant's business name", "our company"),
    "campaign_name": ("the campaign's name", ""),
    "client_name": ("the campaign's client", ""),
    "client_service": ("the campaign's client service", ""),
}


def placeholders_in(template: str) -> list[str]:
    """The placeholder names a template uses, in order. Raises ValidationError on bad syntax."""
    try:
        parsed = list(Formatter().parse(template or ""))
    except ValueError as exc:
        raise ValidationError(f"Invalid template: {exc} (use {{{{ and }}}} for literal braces).",
                              code="invalid") from None  # fmt: skip
    names = []
    for _, field_name, format_spec, conversion in parsed:
        if field_name is None:
            continue
        if field_name == "" or format_spec or conversion or not field_name.isidentifier():
            raise ValidationError(f"Invalid placeholder '{{{field_name}}}': use a plain name such as {{first_name}}.",
                                  code="invalid")  # fmt: skip
        names.append(field_name)
    return names


def validate_template(template: str) -> None:
    unknown = sorted({name for name in placeholders_in(template) if name not in PLACEHOLDERS})
    if unknown:
        known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
        raise ValidationError(
            f"Unknown placeholder{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(f'{{{name}}}' for name in unknown)}. Known: {known}.",
            code="unknown_placeholder",
        )


def context_for(*, campaign, lead=None, agent=None) -> dict[str, str]:
    """The values of every placeholder for one call (missing ones left out: render() fills them)."""
    values: dict[str, str] = {
        "campaign_name": campaign.name,
        "client_name": campaign.client_name,
        "client_service": campaign.client_service,
        "business_name": getattr(campaign.tenant, "name", ""),
    }
    if lead is not None:
        full_name = " ".join(part for part in (lead.first_name, lead.last_name) if part)
        values.update(customer_name=full_name, first_name=lead.first_name, last_name=lead.last_name,
                      company_name=lead.company_name, job_title=lead.job_title, city=lead.city)  # fmt: skip
    agent = agent or campaign.ai_agent
    if agent is not None:
        values["agent_name"] = agent.name
    return {name: str(value).strip() for name, value in values.items() if value not in (None, "")}


def render(template: str, values: dict[str, str]) -> str:
    """The template with each placeholder replaced by its value, or its fallback when missing."""
    out = []
    for literal, field_name, _, _ in Formatter().parse(template or ""):
        out.append(literal)
        if field_name is not None:
            fallback = PLACEHOLDERS.get(field_name, ("", ""))[1]
            out.append(values.get(field_name) or fallback)
    # An empty fallback must not leave "Hi John ," behind.
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", _SPACES.sub(" ", "".join(out)))
