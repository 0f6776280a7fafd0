"""A local stand-in for the national invoice verification platform (查验平台).

It behaves as the platform is documented to (../shared/docs/invoice-domain.md): an invoice becomes
findable only after its issuance-to-sync delay; at most 5 look-ups per invoice per day; a 5-year
window; outcomes found / not found / inconsistent / same-day / quota / too old / voided /
red-flushed / unsupported region; outage windows, latency and error rates. Run by `fapiao simulator`
(started by `fapiao run` in the embedded default); its state lives in its own SQLite file.
"""
