"""Benchmarks that print figures (not timed tests); see bench/README.md.

Importing any bench module runs this first: cheap logins (HOTICH_FAST_HASH=1) and no background job runner
before `app` is imported, and the project root on sys.path.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ["HOTICH_FAST_HASH"] = "1"
os.environ["HOTICH_JOB_RUNNER"] = "off"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
