"""The guided page as a file (so that tests can switch to it); its body: ``page_guided.py``."""

from lumbar_rom.app.page_guided import guided_page

guided_page()
