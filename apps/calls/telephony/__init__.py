"""Telephony providers: which one places a tenant's calls, and which one placed a given call."""


def provider_for(tenant):
    """The provider for a tenant's new calls: Twilio when configured (the platform's TELEPHONY_PROVIDER,
    or the tenant's own account), else the simulator."""
    from django.conf import settings

    if settings.TELEPHONY_PROVIDER == "twilio" or (tenant is not None and tenant.twilio_account_sid):
        return provider_named("twilio")
    return provider_named("simulator")


def provider_named(name: str):
    """The provider a call was placed with (Call.provider)."""
    if name == "twilio":
        from apps.calls.telephony.twilio import TwilioProvider

        return TwilioProvider()
    from apps.calls.telephony.simulator import SimulatorProvider

    return SimulatorProvider()
