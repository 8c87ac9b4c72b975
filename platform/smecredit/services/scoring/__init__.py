"""Risk scoring: features, training and validation, the model registry, scoring, monitoring."""
