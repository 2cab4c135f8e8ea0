"""The shared, versioned base of call reasons: data files, schema, loader, validation, crosswalks, site extensions.

Imports nothing of ours.
"""
