"""The channel-layer groups. Every name carries its tenant or an id that belongs to exactly one
tenant, so nothing published for one tenant can reach another's sockets."""


def agent_group(agent_id) -> str:
    """One agent's console (and the supervisors watching that agent): screen pops, call:ended."""
    return f"agent.{agent_id}"


def tenant_group(tenant_id) -> str:
    """Every console of the tenant: presence changes, lead updates."""
    return f"tenant.{tenant_id}"


def supervisors_group(tenant_id) -> str:
    """The tenant's managers' live view: all of the above, campaign counters, import progress."""
    return f"supervisors.{tenant_id}"
