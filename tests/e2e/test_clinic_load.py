"""Many users at once (issue 13): 10 patients in 10 browser contexts of one Chromium sign in to
one clinic-mode server on loopback at the same time, upload a sample clip, save, and read their
progress. No session sees another's data, no write is lost, no page shows an error; the server's
memory per session and the time per save are printed (``-s`` shows them).

    pytest tests/e2e/test_clinic_load.py -s -m slow
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from lumbar_rom.history.accounts import add_account, audit_log
from lumbar_rom.history.store import Store
from tests.e2e.test_clinic_browser import PASSWORD, clinic_server
from tests.fixtures.browser import CHROMIUM, FLAGS, SAFETY_RADIOS

# In the default run since it passed here (2026-12-02: 350.8 s and 244.8 s, quiet 2-core machine).
# Two faults it found are fixed: the st.Page objects were shared by every session of the process
# (now built per session, navigation.build_pages) and ten analyses at once on 2 cores (now a
# server-wide queue, service.AnalysisQueue).
pytestmark = [pytest.mark.slow, pytest.mark.load]
ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "sample_videos" / "extension.mp4"
USERS = int(os.environ.get("LUMBAR_ROM_LOAD_USERS", "10"))
T = int(os.environ.get("LUMBAR_ROM_LOAD_TIMEOUT_MS", "300000"))
"""ms: a bound on every wait (2 cores, 10 analyses at once)."""


def server_pids(port: str) -> list[int]:
    """This test process's ``streamlit run`` children serving ``port`` (from /proc): in the full
    suite, other tests' servers (session fixtures) are children too."""
    me, out = os.getpid(), []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == me and b"streamlit" in cmd and port.encode() in cmd.split(b"\0"):
            out.append(int(d.name))
    return out


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def idle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait (up to T) until this page's script run is over: Streamlit's status widget shows
    "Running" while a rerun is in flight, so after this every value typed has reached the
    server and the page shows that run's outcome."""
    await page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText"
        ".includes('Running')", timeout=T)


async def answer_start(page, i: int) -> None:  # type: ignore[no-untyped-def]
    """The Start page's three screens under load, each press retried until the next screen
    shows (or Continue's link)."""
    age = page.get_by_label("Age (years)")
    await age.fill(str(30 + i), timeout=T)
    await age.press("Enter")
    await page.get_by_label("Sex").click(timeout=T)
    await page.get_by_role("option", name="female").click(timeout=T)
    # issue 31: one screen at a time (the profile, the safety questions, the pain)
    refused = page.get_by_text("before you continue.")
    radios = page.locator(SAFETY_RADIOS)
    for _ in range(5):
        await idle(page)
        await page.get_by_role("button", name="Next").click(timeout=T)
        await radios.first.or_(refused).first.wait_for(timeout=T)
        if await radios.count():
            break
    # issue 27: every safety question starts unanswered; answer each "No" (again, below,
    # any whose click was lost to a rerun)

    async def answer_open() -> None:
        for j in range(await radios.count()):
            if not await radios.nth(j).locator("input[type=radio]:checked").count():
                await radios.nth(j).get_by_text("No", exact=True).click(timeout=T)
    pain = page.get_by_label("Pain right now (0 = none, 10 = worst imaginable)")
    for _ in range(5):
        await answer_open()
        await idle(page)
        await page.get_by_role("button", name="Next").click(timeout=T)
        await page.wait_for_timeout(500)
        await idle(page)
        await pain.or_(refused).first.wait_for(timeout=T)
        if await pain.count():
            break
    await pain.fill("2", timeout=T)
    await pain.press("Enter")
    link = page.get_by_role("link", name="Upload videos")
    # The stall between Continue and Upload: a fixed 20 s wait for the link was shorter than
    # one rerun under load, so Continue was clicked again while the first run was still in
    # flight and each click restarted the rerun. Instead wait (up to T) for the run's outcome:
    # the link, or the page's refusal when a typed value reached the server after the click
    # (then Continue again).
    for _ in range(5):
        await idle(page)
        await page.get_by_role("button", name="Continue").click(timeout=T)
        await page.wait_for_timeout(500)
        await idle(page)
        await link.or_(refused).first.wait_for(timeout=T)
        if await link.count():
            break


async def one_patient(browser, url: str, i: int) -> dict:  # type: ignore[no-untyped-def]
    ctx = await browser.new_context(viewport={"width": 1280, "height": 1000})
    page = await ctx.new_page()
    try:
        # Under load (10 contexts, 2 cores) the first page load alone can exceed Playwright's
        # default 30 s: that, not the app, was the first failure. Every wait is bounded by T.
        page.set_default_timeout(T)
        page.set_default_navigation_timeout(T)
        await page.goto(url, timeout=T)
        await page.get_by_label("Username").fill(f"p{i}", timeout=T)
        await page.get_by_label("Password", exact=True).fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_text(f"Signed in as p{i} (patient)").wait_for(timeout=T)
        await answer_start(page, i)
        link = page.get_by_role("link", name="Upload videos")
        await link.click(timeout=T)
        await page.get_by_text("Which movement is in the video?").wait_for(timeout=T)
        await page.locator("input[type=file]").set_input_files(str(CLIP), timeout=T)
        await page.wait_for_function(
            "() => [...document.querySelectorAll('button')].some("
            "b => b.innerText.includes('Analyse') && !b.disabled)", timeout=T)
        await page.get_by_role("button", name="Analyse").click()
        await page.get_by_text("measured").first.wait_for(timeout=T)
        await page.get_by_role("link", name="See your results").click()
        save = page.get_by_role("button", name="Save to my history")
        await save.wait_for(timeout=T)
        t0 = time.perf_counter()
        await save.click()
        saved = page.get_by_text("Saved as session")
        await saved.wait_for(timeout=T)
        save_s = time.perf_counter() - t0
        sid = int((await saved.inner_text()).split("Saved as session ")[1].split(".")[0])
        await page.get_by_role("link", name="Progress", exact=True).first.click()
        # the page draws top to bottom: "Sessions" matched "sessions' pain" in the Pain section
        # above the list (a CI failure, 2026-12-02), so wait for this session's own line and
        # for the run to end before reading the whole page
        await page.get_by_text(f"(#{sid})").wait_for(timeout=T)
        await idle(page)
        body = await page.inner_text("body")
        return {"i": i, "save_s": save_s, "body": body, "sid": sid}
    except Exception:
        from tests.fixtures.browser import ARTIFACTS

        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"clinic-load-p{i}.png"), full_page=True)
        raise
    finally:
        await ctx.close()


async def run_all(url: str) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                           args=FLAGS)
        try:
            return list(await asyncio.gather(*(one_patient(browser, url, i)
                                               for i in range(USERS))))
        finally:
            await browser.close()


def test_ten_patients_at_once_see_only_their_own_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    store = Store(url)
    for i in range(USERS):
        add_account(store, f"p{i}", PASSWORD, "patient", person=f"Patient {i:02d}")
    with clinic_server(url) as server:
        (pid,) = server_pids(server.rstrip("/").rsplit(":", 1)[1])
        before = rss_mb(pid)
        t0 = time.perf_counter()
        results = asyncio.run(run_all(server))
        wall = time.perf_counter() - t0
        after = rss_mb(pid)
    for r in results:
        body = r["body"]
        assert f"(#{r['sid']})" in body and body.count("(#") == 1  # their one session
        others = [f"Patient {j:02d}" for j in range(USERS) if j != r["i"]]
        assert not [o for o in others if o in body], f"p{r['i']} sees another patient"
        assert "Something went wrong" not in body
    counts = {p.name: len(store.sessions(p.name)) for p in store.people()}
    assert counts == {f"Patient {i:02d}": 1 for i in range(USERS)}  # no write lost
    saved = [e for e in audit_log(store) if e.action == "saved"]
    assert sorted(e.username for e in saved) == sorted(f"p{i}" for i in range(USERS))
    store.close()
    saves = sorted(r["save_s"] for r in results)
    print(f"\n{USERS} concurrent clinic sessions: wall {wall:.1f} s; server RSS "
          f"{before:.0f} -> {after:.0f} MB, {(after - before) / USERS:.1f} MB per session; "
          f"save (click to 'Saved') median {saves[len(saves) // 2]:.2f} s, "
          f"max {saves[-1]:.2f} s")
