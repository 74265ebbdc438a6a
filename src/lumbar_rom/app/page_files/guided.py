"""guided page (a file so that tests can switch to it)."""

from lumbar_rom.app.pages import guided_page

guided_page()
