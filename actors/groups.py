"""The shop's host groups (ARCHITECTURE §3)."""

SHOP_GROUP = "shop"
"""The host group of the objects one checkout touches most (cart, order, payment, shipment,
saga): in one process, the saga's calls on them are in-process calls."""
