"""The emulator's own exception: it cannot be set up as asked. Carries the exit code for it.

    EmulatorError   exit 3   a setup or usage failure, before or while the server starts: the
                             `[emulator]` extra is missing; the --db path cannot be created, is
                             not a SQLite database, or holds a newer schema; an --api-key spec or
                             a profile name is malformed; the address cannot be bound; a
                             non-loopback --host without --allow-remote

What the emulator answers over HTTP is not an exception of this kind: routes raise
`envelope.ApiProblem`, which leaves as the API's error envelope. The `serve` command turns an
EmulatorError into a one-line `Error: ...` and exit code 3; programs embedding the emulator catch
it themselves. Standard library only; imports nothing from the rest of onepin_sync (the emulator
is an independent server).
"""

from __future__ import annotations


class EmulatorError(Exception):
    """The emulator cannot be set up as asked; the message says what to change."""

    exit_code = 3
