"""Running Komek for real: health checks, Prometheus metrics, structured logs, error
reports and backups (see docs/deploy.md)."""
