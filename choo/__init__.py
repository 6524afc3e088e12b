"""Choo: invoicing and receivables for Norwegian membership organisations."""
