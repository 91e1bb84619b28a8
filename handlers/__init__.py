"""Hand-written EC2 handlers, one module per resource area.

Each function ``fn(ctx, params) -> result`` takes the params dict a boto3 caller passed and returns
the dict boto3 hands back; it registers itself with ``@handler("OperationName")``.
"""
