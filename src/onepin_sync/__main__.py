"""`python -m onepin_sync`: the same as the `onepin-sync` console script."""

from onepin_sync.cli import main

if __name__ == "__main__":
    main()
