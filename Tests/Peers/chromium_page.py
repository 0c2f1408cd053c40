#!/usr/bin/env python3
"""Loads a page in headless Chromium and reads its text once it shows a marker.

Drives Chromium through the DevTools protocol (over Python `websockets`), because `--dump-dom`
dumps as soon as the page loads and does not wait for WebSocket traffic.

  chromium_page.py URL [--wait-for TEXT] [--timeout S] [--screenshot FILE.png] [--size 1000x700] [--eval EXPR]

Prints the page's innerText (the last state seen) — or, with --eval, the JSON value of EXPR —
and exits 0 when TEXT appeared, 1 otherwise.
"""
import argparse, asyncio, base64, json, os, shutil, subprocess, sys, tempfile, time, urllib.request

import websockets


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--wait-for", default="")
    parser.add_argument("--timeout", type=float, default=20)
    parser.add_argument("--screenshot")
    parser.add_argument("--size", default="1000x700")
    parser.add_argument("--eval")
    parser.add_argument("--insecure", action="store_true", help="accept a self-signed certificate (https:// tests)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    profile = tempfile.mkdtemp(prefix="passerelle-chromium-")
    browser = subprocess.Popen(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", f"--window-size={width},{height}"]
        + (["--ignore-certificate-errors"] if args.insecure else []) + ["about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 15
        while not (os.path.exists(port_file) and open(port_file).read().count("\n") >= 1):
            if time.time() > deadline or browser.poll() is not None:
                print("chromium did not start", file=sys.stderr)
                return 1
            await asyncio.sleep(0.05)
        port = int(open(port_file).read().split("\n")[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = next(t for t in targets if t.get("type") == "page")
        async with websockets.connect(page["webSocketDebuggerUrl"], max_size=None) as cdp:
            next_id = 0

            async def call(method, **params):
                nonlocal next_id
                next_id += 1
                await cdp.send(json.dumps({"id": next_id, "method": method, "params": params}))
                while True:
                    reply = json.loads(await cdp.recv())
                    if reply.get("id") == next_id:
                        return reply.get("result", {})

            await call("Page.enable")
            await call("Page.navigate", url=args.url)
            text, found = "", False
            deadline = time.time() + args.timeout
            while time.time() < deadline:
                result = await call("Runtime.evaluate", expression="document.body ? document.body.innerText : ''", returnByValue=True)
                text = result.get("result", {}).get("value", "") or ""
                if args.wait_for and args.wait_for in text:
                    found = True
                    break
                if not args.wait_for and text:
                    found = True
                    break
                await asyncio.sleep(0.1)
            if args.screenshot:
                shot = await call("Page.captureScreenshot", format="png")
                with open(args.screenshot, "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
            if args.eval:
                result = await call("Runtime.evaluate", expression=args.eval, returnByValue=True)
                print(json.dumps(result.get("result", {}).get("value")))
            else:
                print(text)
            return 0 if found else 1
    finally:
        browser.kill()
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


sys.exit(asyncio.run(main()))
