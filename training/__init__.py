"""Datasets, fitting, calibration, evaluation, MLflow tracking and registry. Imports pipeline and taxonomy."""
