"""The simulated nation: deterministic synthetic dossier records and NDXP transactions (docs/simulate.md)."""

from __future__ import annotations

from chiso.simulate.nation import DOSSIER_SCHEMA, NDXP_SCHEMA, SimSummary, generate, iter_batches
from chiso.simulate.stream import stream_http, stream_nats

__all__ = ["DOSSIER_SCHEMA", "NDXP_SCHEMA", "SimSummary", "generate", "iter_batches", "stream_http", "stream_nats"]
