"""Tests of the vcenter (/rest) and vr (/api/rest/vr/v2) simulator surfaces."""
