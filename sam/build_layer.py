#!/usr/bin/env python3
"""Build the AWS Lambda dependency layer: ``python sam/build_layer.py --arch arm64``.

The work is done by the package ``sam/layer`` (see its docstring); ``--help`` lists the options.
"""

import sys

from layer.cli import main

if __name__ == "__main__":
    sys.exit(main())
