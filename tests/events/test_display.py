"""Rich display of an event in Jupyter, plain text elsewhere."""

from __future__ import annotations

from knotebook import events


def test_html_has_key_fields_and_collapsible_raw_json():
    view = events.EventView(events.sample("VmPoweredOnEvent", vm_name="<b>web</b>"))
    html = view._repr_html_()
    assert "<details>" in html and "raw CloudEvent" in html
    assert "com.vmware.vsphere.VmPoweredOnEvent.v0" in html
    assert "&lt;b&gt;web&lt;/b&gt;" in html and "<b>web</b>" not in html
    assert view.get_type() == "com.vmware.vsphere.VmPoweredOnEvent.v0"


def test_plain_text_lists_entities(capsys):
    event = events.sample("VmPoweredOnEvent", vm_name="web-01")
    events.display_event(event)
    out = capsys.readouterr().out
    assert "data.Vm" in out and "web-01" in out and "type" in out
    assert "data.Ds" not in out  # null entities are left out
