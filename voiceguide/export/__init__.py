"""Side files from the session timeline: captions, chapter files, the plan, and podcast feeds."""
