"""What an operator watches: Prometheus metrics, structured log lines, and personal data kept out
of both (docs/operations.md)."""
