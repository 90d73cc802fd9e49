#!/usr/bin/env python
"""Development shortcut; the installed `wellkept` command does the same."""

from wellkept.__main__ import main

if __name__ == "__main__":
    main()
