"""The revisions of the assistant's tables, numbered ``0001``, ``0002``… (see the package)."""
