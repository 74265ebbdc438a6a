"""The start page as a file (so that tests can switch to it); its body: ``page_start.py``."""

from lumbar_rom.app.page_start import start_page

start_page()
