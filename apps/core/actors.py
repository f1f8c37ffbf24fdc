"""Who did something: a user, an API key, an import, the system. Timelines and audit rows record it."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    user_id: Any = None
    label: str = "system"

    @classmethod
    def of(cls, principal) -> "Actor":
        """The actor for request.user: a User (by id and email) or an API key principal (by prefix)."""
        api_key = getattr(principal, "api_key", None)
        if api_key is not None:
            return cls(user_id=None, label=f"api-key:{api_key.prefix}")
        return cls(user_id=getattr(principal, "pk", None), label=getattr(principal, "email", "") or "user")


SYSTEM = Actor()
