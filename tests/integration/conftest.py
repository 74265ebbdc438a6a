"""Fixtures of the integration tests: the app under Streamlit's AppTest."""

from unittest import mock

import pytest
from streamlit.testing.v1 import AppTest

from tests.fixtures.app import APP


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("LUMBAR_ROM_DB", f"sqlite:///{tmp_path / 'app.db'}")
    # streamlit-webrtc reaches into the runtime's session manager, a mock under AppTest
    with mock.patch("streamlit_webrtc.component.get_this_session_info", return_value=None):
        at = AppTest.from_file(APP, default_timeout=180)
        at.run()
        yield at
