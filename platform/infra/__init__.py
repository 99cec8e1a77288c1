"""Infrastructure every app stands on: real-time delivery, ephemeral state,
database threads, client addresses, origin checks, the handshake gate.

Imports Django and Channels only, never an app (docs: the layering in
DESIGN.md), so any app may import it.
"""
