"""Importers: each turns one kind of source into the validated asset table."""
