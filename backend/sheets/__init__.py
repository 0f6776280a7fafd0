"""Writing spreadsheets as a stream: xlsx (a small purpose-built writer) and CSV, in bounded memory.

Nothing here knows about invoices: callers describe columns (`cells.Column`) and hand over rows in batches;
each writer gives back the bytes ready so far (`take()`), so an HTTP response can send them as they come.
"""
