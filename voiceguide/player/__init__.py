"""Following a session as it plays: the timeline look-ups, the terminal player and the web page.

``timeline`` is pure (the plan in, what to show at any moment out); ``clock`` keeps the
session's position; ``terminal`` draws it and reads keys; ``audio`` plays the file;
``positions`` remembers where a listener stopped; ``page`` writes the self-contained page.
"""
