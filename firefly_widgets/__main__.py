import sys

from firefly_widgets.cli import main

sys.exit(main())
