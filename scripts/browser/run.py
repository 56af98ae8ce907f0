"""Runs the browser suite's journeys against a running shop (scripts/browser-test runs this).

    python run.py BASE_URL --artifacts DIR [--docs DIR] [--only NAME]...

Imports every test_*.py module of this folder (in name order; each registers its journeys with
`shop.journey`), runs each journey in a fresh headless Chromium, writes the screenshots to the
artifacts folder (and the ones marked for the docs to --docs), and exits 1 when a journey failed.
"""

import argparse
import glob
import importlib
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import shop  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base_url", help="the shop, such as http://127.0.0.1:8080")
    parser.add_argument("--artifacts", required=True, help="where the screenshots go")
    parser.add_argument("--docs", help="where the screenshots the docs show go, too")
    parser.add_argument("--only", action="append", default=[], help="run only the journeys with this name (repeatable)")
    arguments = parser.parse_args()

    folder = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(folder, "test_*.py"))):
        importlib.import_module(os.path.basename(path)[: -len(".py")])
    journeys = [j for j in shop.JOURNEYS if not arguments.only or j.name in arguments.only]
    if not journeys:
        print(f"no journey to run (known: {[j.name for j in shop.JOURNEYS]})", file=sys.stderr)
        return 2

    run = shop.Run(arguments.base_url, arguments.artifacts, arguments.docs)
    started = time.monotonic()
    failed = shop.run_journeys(run, journeys)
    passed = len(journeys) - len(failed)
    shop.say(f"browser journeys took {time.monotonic() - started:.1f}s; {run.shots} screenshots in {run.artifacts}")
    for path in sorted(run.known):
        shop.say(f"known problem met, not counted: {shop.KNOWN_PROBLEMS[path]}")
    shop.say(f"browser: {passed} passed, {len(failed)} failed")
    if failed:
        shop.say(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
