"""python -m lesto module:app — run an application from the command line (see lesto.cli)."""

from .cli import load_app, main

__all__ = ["load_app", "main"]

if __name__ == "__main__":
    main()
