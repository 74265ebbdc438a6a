"""start page (a file so that tests can switch to it)."""

from lumbar_rom.app.pages import start_page

start_page()
