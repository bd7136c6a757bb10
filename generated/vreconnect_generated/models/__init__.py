"""datamodel-code-generator pydantic v2 modules, one per document: control, sms, vcenter, vim25, vr."""
