"""One router per resource.

Single-record reads are ``async def``: a few sub-millisecond SQLite reads (WAL mode: never blocked by a
writer), run on the event loop without a thread hop. Lists (a sort and a page of rows, a few
milliseconds), and everything that writes, parses uploads or reads data files, are plain ``def`` and run
in the thread pool, so a burst of lists never holds up the quick reads behind it.
"""
