"""The fuzz tier: generated hostile requests through the real HTTP server (``make fuzz``).

``python -m tests.fuzz --requests 100000`` starts ``ec2api``'s own front and app on loopback with a
stub authenticator and a real SQLite database, holds stalled connections open, sends the requests
from several client threads and checks every answer: no 5xx (other than 503 ``Unavailable``: the
stub caller has no OpenStack), every body EC2's XML, no request over 2 s, the worker's memory flat.
"""
