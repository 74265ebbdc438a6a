"""Streamlit entry point: ``streamlit run streamlit_app.py`` (or ``make run``)."""

from lumbar_rom.app.main import run

run()
