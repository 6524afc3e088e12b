"""Bank files in: OCR giro, KID matching and unmatched payments."""
