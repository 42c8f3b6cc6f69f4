//! `/metrics`, `/healthz` and `/readyz` for orchestrators and Prometheus.
