# SPDX-License-Identifier: Apache-2.0
from calgate.cli import main

main()
