"""The results page as a file (so that tests can switch to it); its body: ``page_results.py``."""

from lumbar_rom.app.page_results import results_page

results_page()
