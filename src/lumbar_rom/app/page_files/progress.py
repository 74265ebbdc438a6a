"""The progress page as a file (so that tests can switch to it); its body: ``page_progress.py``."""

from lumbar_rom.app.page_progress import progress_page

progress_page()
