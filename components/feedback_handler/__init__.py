"""The feedback API's Lambda function (standard library and boto3 only; packaged as `handler.py`)."""
