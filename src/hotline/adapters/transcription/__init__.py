"""Transcription of recorded hotline messages.

``local`` implements :class:`hotline.ports.Transcriber` offline with PocketSphinx (the optional
``hotline[transcription]`` extra); ``carrier`` reads the carrier's own transcription callback.
"""
