"""upload page (a file so that tests can switch to it)."""

from lumbar_rom.app.pages import upload_page

upload_page()
