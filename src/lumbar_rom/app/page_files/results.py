"""results page (a file so that tests can switch to it)."""

from lumbar_rom.app.pages import results_page

results_page()
