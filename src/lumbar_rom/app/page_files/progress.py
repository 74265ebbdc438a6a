"""progress page (a file so that tests can switch to it)."""

from lumbar_rom.app.pages import progress_page

progress_page()
