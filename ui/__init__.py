"""Shared Streamlit helpers: i18n, figure builders, run views. Pages import from here."""
