"""The AI agent's side of a call: Conversation."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from apps.core.models import TenantOwnedModel
from apps.voice.choices import ConversationState, Mode


class Conversation(TenantOwnedModel):
    """Where the AI agent's conversation on one call is: its state and the path it took, what the
    customer raised (objections, interest signals, sentiment per turn), what was agreed (a callback
    time, an email, the next step), and once it ends, why, its summary and analytics. The words are
    the call's transcript (Call.transcript). Changes go through apps.voice.services, compare-and-swap
    on turn_count, so a webhook delivered twice answers once."""

    call = models.OneToOneField("calls.Call", on_delete=models.CASCADE, related_name="conversation")
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.VOICE)
    state = models.CharField(max_length=20, choices=ConversationState.choices, default=ConversationState.GREETING)
    path = ArrayField(models.CharField(max_length=20), default=list, blank=True,
                      help_text="The states, in the order the conversation went through them.")  # fmt: skip
    turn_count = models.PositiveIntegerField(default=0, help_text="Customer turns so far (silences included).")
    silence_count = models.PositiveSmallIntegerField(default=0, help_text="Silent turns in a row.")
    step = models.PositiveSmallIntegerField(default=0, help_text="The script step of the state asked last.")
    awaiting = models.CharField(max_length=16, blank=True, help_text="What the last question waits for.")
    resume_state = models.CharField(max_length=20, blank=True, help_text="Where objection handling returns to.")
    last_prompt = models.TextField(blank=True, help_text="The question asked last (said again on silence).")
    objections = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    handled_objections = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    interest_signals = ArrayField(models.CharField(max_length=24), default=list, blank=True)
    sentiments = ArrayField(models.FloatField(), default=list, blank=True, help_text="Per spoken turn, -1 to 1.")
    disposition = models.CharField(max_length=32, blank=True, help_text="The call disposition it reached.")
    callback_at = models.DateTimeField(null=True, blank=True, help_text="When the person asked to be called back.")
    email = models.EmailField(blank=True, help_text="An email address the person gave.")
    next_step = models.CharField(max_length=255, blank=True)
    brain = models.CharField(max_length=16, default="scripted", help_text="scripted or llm")
    end_reason = models.CharField(max_length=24, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True, help_text="Spec 001's end-of-call summary.")
    analytics = models.JSONField(default=dict, blank=True, help_text="Spec 001's end-of-call analytics.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=ConversationState.values), name="conversation_state_valid"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(state=ConversationState.ENDED), name="conversation_ended_state"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="conversation_tenant_time")]

    def __str__(self) -> str:
        return f"Conversation on {self.call_id} ({self.state})"

    @property
    def is_over(self) -> bool:
        return self.state == ConversationState.ENDED
