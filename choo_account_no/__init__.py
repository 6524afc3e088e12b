"""Norwegian standard chart of accounts (NS 4102) and VAT with SAF-T codes."""
