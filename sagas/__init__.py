"""Durable sagas (ARCHITECTURE §5): the engine and the shop's sagas."""
