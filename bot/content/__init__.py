"""Editors' content: the FAQ files in content/ read, checked and reported on."""
