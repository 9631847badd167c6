"""Deployment helpers; the deployments themselves are declared in prefect.yaml."""
