import sys

from impulator.cli import main

sys.exit(main())
