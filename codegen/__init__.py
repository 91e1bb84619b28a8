"""The generator: reads a botocore model whose protocol is ``ec2`` and writes a Python codec package.

Pure by design: it imports nothing from ``generated/`` or ``handlers/``; the package it writes imports
the protocol support library ``ec2api_runtime.codec`` at run time.
"""
