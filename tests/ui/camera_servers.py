"""Shared by the camera tests: the real API with a demo stream hub of known secret and frame rate, fast watchdog settings."""

from __future__ import annotations

from sandbox.ui.cameras.reconnect import StreamSettings

# Short stalls and backoffs so that a test sees 信号中断 and recovery in seconds.
FAST = StreamSettings(stall_s=1.5, connect_timeout_s=2.0, backoff_base_s=0.2, backoff_cap_s=1.0, jitter=0.5,
                      stagger_s=0.05, tick_s=0.1)


def start_stream_server(engine, *, secret: bytes, fps: float, port: int | None = None, **hub):
    """The embedded API whose stream URLs stay valid across a restart (the same secret)."""
    from sandbox.server.runtime import EmbeddedServer
    from sandbox.server.streams.hub import StreamHub, install_hub

    srv = EmbeddedServer(engine, port=port)
    install_hub(srv.server.config.app, StreamHub(fps=fps, secret=secret, **hub))
    return srv.start()


def stop_stream_server(srv) -> None:
    from sandbox.server.streams.hub import hub_of

    hub_of(srv.server.config.app).close()
    srv.stop()
