"""``convlab`` on the command line: ``convlab grade ...`` (or ``python -m convlab grade ...``)."""

from __future__ import annotations

import sys

COMMANDS = {"grade": "grade learners' notebooks against the instructor edition (nbval)"}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] not in COMMANDS:
        listing = "\n".join(f"  {name:8s} {help}" for name, help in COMMANDS.items())
        print(f"usage: convlab COMMAND [ARGS]\n\ncommands:\n{listing}", file=sys.stderr)
        return 2
    from . import grade

    return grade.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
