"""One module per command that acts on a launch: each takes a typed request and returns a typed result.

They never print and never exit; `gate.cli` renders their results and maps them to exit codes.
"""
