"""Streamlit pages: thin shells over the library.

``main.py`` runs ``st.navigation`` over the page list in ``navigation.py``; each page is a small
file in ``page_files/`` that calls its body in ``page_<key>.py`` (start, upload, guided, results,
progress). The pages call ``service.py`` for the work that is not UI (analyse an upload, the
current assessment, save, read a stored session) and draw with ``render.py`` (one assessment
renderer for a live and a stored session), ``widgets.py`` (shared small widgets, a leaf) and
``charts.py``; ``state.py`` holds the per-session state; ``webcam.py`` and ``live.py`` the live
guided test.
"""
