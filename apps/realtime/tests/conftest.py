import pytest
from channels.layers import channel_layers


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """Each test runs its sockets on an event loop of its own, and a channel layer keeps a receive
    lock bound to the loop that first received: every test gets a new layer (the same Redis)."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def pytest_terminal_summary(terminalreporter):
    """The browser tests skip where chromium cannot be had: say so loudly, not only in the -ra list.
    And print what they measured (the screen pop's latency)."""
    skipped = [rep for rep in terminalreporter.stats.get("skipped", []) if "test_console_browser" in rep.nodeid]
    if skipped:
        reason = skipped[0].longrepr[2] if isinstance(skipped[0].longrepr, tuple) else str(skipped[0].longrepr)
        terminalreporter.write_sep("!", f"{len(skipped)} BROWSER TEST(S) SKIPPED", red=True, bold=True)
        terminalreporter.write_line(reason, red=True, bold=True)
    for rep in terminalreporter.stats.get("passed", []):
        for name, value in getattr(rep, "user_properties", []):
            if name.startswith("console_"):
                terminalreporter.write_line(f"{name}: {value}")
