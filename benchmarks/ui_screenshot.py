"""Take the README screenshot of the web app with headless Debian Chromium (Playwright).

Starts ``gaokerena serve`` on an index (the demo index by default), asks one question,
waits for both columns and the sources, and writes a PNG.

    python benchmarks/ui_screenshot.py                       # -> docs/screenshot.png
    python benchmarks/ui_screenshot.py --phone --out .cache/phone.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

# run as `python benchmarks/ui_screenshot.py`: its folder is on the path
from ui_latency import CHROMIUM, CHROMIUM_ARGS, REPO, free_port, start_server

QUESTION = "برای سردرد میگرنی می‌توانم ibuprofen 400 بخورم؟ نور و صدا اذیتم می‌کند."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=REPO / ".cache/demo/index")
    parser.add_argument("--out", type=Path, default=REPO / "docs/screenshot.png")
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--phone", action="store_true", help="a 390x844 phone viewport")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    port = free_port()
    server = start_server(args.index, port, concurrency=2)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            viewport = {"width": 390, "height": 844} if args.phone else {"width": 1280,
                                                                         "height": 1080}
            page = browser.new_page(viewport=viewport, device_scale_factor=1,
                                    is_mobile=args.phone)
            page.goto(f"http://127.0.0.1:{port}/")
            box = page.locator("#gk-question textarea")
            box.wait_for(timeout=60_000)
            box.fill(args.question)
            box.press("Enter")
            page.wait_for_selector("#gk-question textarea:not([disabled])", timeout=60_000)
            page.wait_for_selector("#gk-sources li", timeout=60_000)
            # show each answer from its beginning (streaming scrolled it to the end)
            page.evaluate("""() => document.querySelectorAll('#gk-plain *, #gk-rag *')
                .forEach(e => { if (e.scrollHeight > e.clientHeight) e.scrollTop = 0; })""")
            page.wait_for_timeout(300)
            tmp = args.out.with_name(f".{args.out.name}.tmp.png")
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(tmp), full_page=args.phone)
            tmp.replace(args.out)
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
