"""Members and organisations, membership types and periods."""
