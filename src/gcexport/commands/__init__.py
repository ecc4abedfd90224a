"""The command layer: the only code that draws on the terminal (progress, summaries, warnings).

Each module wraps a library call for one `gcexport` command; `gcexport.cli` parses the arguments
and maps errors to exit codes.
"""
