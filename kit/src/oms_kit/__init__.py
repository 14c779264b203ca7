"""The shared plumbing of every OMS service (DESIGN section 2), written once.

Services wire it in their ``bootstrap.py``; nothing here knows a business word.
"""
