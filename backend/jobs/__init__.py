"""Background work: durable Job rows (the truth) delivered by a Huey queue (the transport)."""
