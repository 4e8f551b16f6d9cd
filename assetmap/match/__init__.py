"""Matching: text normalisation, search, de-duplication and needs matching."""
