#!/usr/bin/env python
"""Django's command-line utility for Village."""

import os
import sys
from pathlib import Path


def main() -> None:
    # The site package lives in platform/ (a plain folder: see README).
    sys.path.insert(0, str(Path(__file__).resolve().parent / "platform"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "village.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
