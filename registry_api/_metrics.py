"""Custom Prometheus metrics (request metrics come from Litestar's Prometheus plugin).

They live in ``prometheus_client``'s default registry, which Litestar's
``PrometheusController`` exposes at ``/metrics``. Module-level so that several app instances
in one process (tests) share them instead of registering duplicates.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "ACCOUNT_READS",
    "ACTIVE_PRESENTERS",
    "ACTIVE_VIEWERS",
    "ANOMALOUS_RUNS",
    "FRAMES_IN",
    "FRAMES_OUT",
    "PUBLISH_YIELD",
    "RUNS_PUBLISHED",
    "STREAM_LAG",
    "STREAM_TAILS",
    "VIEWER_DROPS",
]

ACTIVE_VIEWERS = Gauge("qt_ws_active_viewers", "Viewers connected to this instance")
ACTIVE_PRESENTERS = Gauge("qt_ws_active_presenters", "Presenters connected to this instance")
FRAMES_IN = Counter("qt_frames_in_total", "Frames received from presenters and stored")
FRAMES_OUT = Counter("qt_frames_out_total", "Frames sent to viewers")
STREAM_LAG = Histogram(
    "qt_stream_lag_seconds",
    "Time from a frame's XADD (its stream id, on Redis's clock) to its send to a viewer",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60),
)
STREAM_TAILS = Gauge("qt_stream_tails", "Session streams this instance is tailing")
VIEWER_DROPS = Counter(
    "qt_ws_viewer_drops_total", "Viewers disconnected for falling too far behind"
)
RUNS_PUBLISHED = Counter("qt_runs_published_total", "Runs newly published")
ANOMALOUS_RUNS = Counter("qt_runs_anomalous_total", "Published runs flagged anomalous")
ACCOUNT_READS = Counter(
    "qt_account_reads_total",
    "Accounts read from Postgres to authenticate requests (account cache misses; concurrent"
    " misses of one account share a read)",
)
PUBLISH_YIELD = Counter(
    "qt_publish_yield_seconds_total",
    "Seconds batches of publishes waited because live viewers were getting frames late",
)
