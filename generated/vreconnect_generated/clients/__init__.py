"""openapi-python-client packages, one per document: control, sms, vcenter, vim25, vr."""
