"""Shapes of the scoring API: what POST /leads/{id}/score/ accepts and every answer (for the OpenAPI
document; views render plain dicts built by the services and selectors)."""

from rest_framework import serializers

from apps.scoring.choices import ScoreMethod, TrainingStatus, TrainingTrigger


class ScoreInputSerializer(serializers.Serializer):
    """An empty body is the usual call. Unknown keys are refused (400)."""

    method = serializers.ChoiceField(choices=ScoreMethod.choices, default=ScoreMethod.AUTO,
                                     help_text="auto: the tenant's model when it has one, else the rules.")  # fmt: skip
    dry_run = serializers.BooleanField(default=False, help_text="Compute and answer, but keep nothing on the lead.")

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields)) if isinstance(self.initial_data, dict) else []
        if unknown:
            raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return attrs


class FactorsSerializer(serializers.Serializer):
    positive_factors = serializers.ListField(child=serializers.CharField())
    negative_factors = serializers.ListField(child=serializers.CharField())
    recommendations = serializers.ListField(child=serializers.CharField())


class ScoreSerializer(serializers.Serializer):
    """Spec 001's lead score (every part in [0, 1]) plus what was kept on the lead."""

    lead_id = serializers.UUIDField()
    overall_score = serializers.FloatField()
    demographic_score = serializers.FloatField()
    behavioral_score = serializers.FloatField()
    engagement_score = serializers.FloatField()
    intent_score = serializers.FloatField()
    conversion_probability = serializers.FloatField()
    factors = FactorsSerializer()
    lead_score = serializers.IntegerField(help_text="overall_score as 0-100 (specs 002 and 003).")
    is_hot_lead = serializers.BooleanField()
    hot_lead_threshold = serializers.IntegerField()
    scored_by = serializers.CharField(help_text="rules or model.")
    model_id = serializers.UUIDField(allow_null=True)
    scored_at = serializers.DateTimeField()
    saved = serializers.BooleanField()


class TrainingJobSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()
    status = serializers.CharField(help_text=", ".join(TrainingStatus.values) + ".")
    trigger = serializers.CharField(help_text=", ".join(TrainingTrigger.values) + ".")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    samples = serializers.IntegerField()
    positives = serializers.IntegerField()
    error_code = serializers.CharField(allow_null=True)
    error_message = serializers.CharField(allow_null=True)
    model_id = serializers.UUIDField(allow_null=True)


class TriggerSerializer(TrainingJobSerializer):
    already_queued = serializers.BooleanField(help_text="True when an open job was returned instead of a new one.")


class ModelSummarySerializer(serializers.Serializer):
    model_id = serializers.UUIDField()
    trained_at = serializers.DateTimeField()
    algorithm = serializers.CharField()
    samples = serializers.IntegerField()
    positives = serializers.IntegerField()
    auc = serializers.FloatField()
    precision_at_top_decile = serializers.FloatField()


class RequirementsSerializer(serializers.Serializer):
    min_labelled_leads = serializers.IntegerField()
    min_positive_leads = serializers.IntegerField()
    min_negative_leads = serializers.IntegerField()


class TrainingStatusSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="not_trained, training or trained.")
    scoring_method = serializers.CharField(help_text="What scores the leads now: rules or model.")
    model = ModelSummarySerializer(allow_null=True)
    latest_job = TrainingJobSerializer(allow_null=True)
    labelled_leads = serializers.IntegerField()
    positive_leads = serializers.IntegerField()
    ready_to_train = serializers.BooleanField()
    not_ready_reason = serializers.CharField(allow_null=True)
    requirements = RequirementsSerializer()
    hot_lead_threshold = serializers.IntegerField()
    use_model = serializers.BooleanField()
    retraining = serializers.CharField()


class FeatureWeightSerializer(serializers.Serializer):
    feature = serializers.CharField()
    weight = serializers.FloatField()


class PerformanceSerializer(serializers.Serializer):
    trained = serializers.BooleanField()
    scoring_method = serializers.CharField(help_text="rules or model.")
    model_id = serializers.UUIDField(allow_null=True)
    trained_at = serializers.DateTimeField(allow_null=True)
    algorithm = serializers.CharField(allow_null=True)
    auc = serializers.FloatField(allow_null=True, help_text="ROC AUC on the held-out leads.")
    precision_at_top_decile = serializers.FloatField(allow_null=True)
    rules_auc = serializers.FloatField(allow_null=True, help_text="The rule-based score's, on the same leads.")
    rules_precision_at_top_decile = serializers.FloatField(allow_null=True)
    base_rate = serializers.FloatField(allow_null=True)
    samples = serializers.IntegerField()
    positives = serializers.IntegerField()
    negatives = serializers.IntegerField()
    train_samples = serializers.IntegerField()
    holdout_samples = serializers.IntegerField()
    holdout_positives = serializers.IntegerField(allow_null=True)
    top_features = FeatureWeightSerializer(many=True)
    labelled_leads = serializers.IntegerField()
    positive_leads = serializers.IntegerField()
