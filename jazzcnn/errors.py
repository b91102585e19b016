"""Errors a user can cause and fix: commands print them as one line.

`cli.run` turns these (and absl's `app.UsageError`) into `command: message`
on stderr and exit status 1; anything else is a bug and keeps its traceback.
"""


class DataError(ValueError):
  """Records on disk that differ from what dataset_info.json says of them,
  or audio from which no records can be built."""
