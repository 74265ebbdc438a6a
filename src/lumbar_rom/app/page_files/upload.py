"""The upload page as a file (so that tests can switch to it); its body: ``page_upload.py``."""

from lumbar_rom.app.page_upload import upload_page

upload_page()
