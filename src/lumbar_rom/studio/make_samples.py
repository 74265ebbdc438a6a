"""Render the clips of ``sample_videos/`` (one per motion + a restricted flexion) with sidecars.

    .venv/bin/python -m lumbar_rom.studio.make_samples [--out sample_videos] [--force]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lumbar_rom.studio.scenarios import SAMPLES, render_scenario

ROOT = Path(__file__).resolve().parents[3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "sample_videos")
    parser.add_argument("--force", action="store_true", help="render again even if present")
    args = parser.parse_args()
    for name, scenario in SAMPLES.items():
        if args.force:
            for ext in (".mp4", ".json"):
                (args.out / f"{name}{ext}").unlink(missing_ok=True)
        video, sidecar = render_scenario(scenario, args.out, stem=name)
        print(f"{video}  ({video.stat().st_size // 1024} KB)  {sidecar.name}")


if __name__ == "__main__":
    main()
