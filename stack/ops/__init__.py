"""Day-2 operations on a deployed environment: status, traffic shifts, promotion and rollback.

What the live endpoints should be comes from the offline plan (the same program `pulumi up` runs);
what they are comes from AWS through boto3 and the usual credential chain.
"""
