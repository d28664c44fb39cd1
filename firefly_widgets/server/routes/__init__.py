"""One router per resource.

Reads are ``async def``: they are a few SQLite reads (sub-millisecond in WAL mode, never blocked by a
writer) and so run on the event loop without a thread hop. Everything that writes, parses uploads or
reads data files is a plain ``def`` and runs in the thread pool.
"""
