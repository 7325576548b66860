"""`python -m prism.cli`: the same as the `prism` command."""

import sys

from prism.cli.main import main

sys.exit(main())
