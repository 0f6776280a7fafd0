"""Use-cases that tie storage, models, queue and notifier together: the only writers of invoices."""
