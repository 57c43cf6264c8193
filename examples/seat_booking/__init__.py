"""Seat booking for an event: a second application on the runtime alone (no shop), the proof
that `durable` stands by itself. See the README's "A second application" section."""
