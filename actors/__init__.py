"""Durable object runtime on Ray (ARCHITECTURE §3) and the object kinds of the shop."""
