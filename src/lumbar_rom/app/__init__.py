"""Streamlit pages: thin shells over the library."""
