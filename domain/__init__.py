"""Pure business rules and value objects: no Ray, no SQLite, no HTTP (ARCHITECTURE §1.2)."""
