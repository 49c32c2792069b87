"""Pappus: a self-hosted social media operations platform."""

__version__ = "0.1.0"
