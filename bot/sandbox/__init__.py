"""Komek sandbox."""
