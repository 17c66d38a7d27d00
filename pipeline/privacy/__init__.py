"""Deletion requests: users removed from every table and published file, and kept out of later loads."""
