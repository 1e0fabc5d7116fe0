"""Renderers: every command result as text for a person, JSON for machines, Markdown for GitHub."""
