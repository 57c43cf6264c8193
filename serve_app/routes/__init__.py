"""HTTP routes of the gateway, one module per area (ARCHITECTURE §8)."""
