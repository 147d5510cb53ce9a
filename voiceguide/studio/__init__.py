"""The studio: a local web app to write, hear, build, follow and publish sessions (``voiceguide studio``).

It sits above ``batch`` and below ``cli``: it uses the library as the command line does
(the same loader, checks, planner and build) and the library never imports it. Every
request passes one guard (``guard.py``: Host, token, Origin, paths, sizes, errors).
"""
