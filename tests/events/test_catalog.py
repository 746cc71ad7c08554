"""The packaged vCenter catalog: counts match the 8 source catalogs, filters, lazy loading."""

from __future__ import annotations

from collections import Counter

import pytest

from knotebook import events
from knotebook.errors import KnotebookError
from knotebook.events import registry


def test_catalog_has_every_id_of_the_8_catalogs():
    rows = events.catalog()
    assert len(rows) == 2262
    assert Counter(r.kind for r in rows) == {"standard": 441, "eventex": 1188, "extendedevent": 633}
    assert events.types() == [r.id for r in rows]
    assert len(set(events.types())) == 2262


@pytest.mark.parametrize(
    ("version", "count"),
    [("6.7u3", 1650), ("7.0u1", 1824), ("7.0u3", 1926), ("8.0", 2026), ("8.0u3", 2194)],
)
def test_version_filter_matches_each_source_catalog(version, count):
    assert len(events.catalog(vsphere=version)) == count


def test_versions_first_and_last_seen():
    rows = events.catalog()
    assert sum(r.first_seen == "8.0u3" for r in rows) == 78
    assert sum(r.last_seen != "8.0u3" for r in rows) == 68
    entry = registry.get("VmPoweredOnEvent")
    assert entry.kind == "standard"
    assert entry.versions == registry.VERSIONS
    assert entry.description == "VM powered on"


def test_search_kind_and_version_filters_combine():
    rows = events.catalog(search="LOGINFAILURE", kind="eventex")
    assert "com.vmware.sso.LoginFailure" in [r.id for r in rows]
    assert all(r.kind == "eventex" for r in rows)
    by_description = events.catalog(search="maintenance mode", kind="standard")
    assert "EnteredMaintenanceModeEvent" in [r.id for r in by_description]
    assert events.catalog(search="no such event text at all") == []


@pytest.mark.parametrize("spelling", ["8.0u3", "8.0U3", "8.0 Update 3", "8.0.3"])
def test_version_spellings(spelling):
    assert registry.normalize_version(spelling) == "8.0u3"


def test_bad_filters_are_user_errors():
    with pytest.raises(KnotebookError, match="vSphere version"):
        events.catalog(vsphere="9.1")
    with pytest.raises(KnotebookError, match="kind"):
        events.catalog(kind="standardish")


def test_kind_switch_keeps_the_newest_catalog_kind():
    # ExtendedEvent in 7.0U3, EventEx in 8.0 (their only two catalogs): the newest kind wins
    for event_id in (
        "com.vmware.vc.vm.bipe.cryptoResumeError",
        "com.vmware.vim.vm.CryptoResumeFailed",
    ):
        assert registry.get(event_id).kind == "eventex"
        assert events.eventclass(event_id) == "eventex"


def test_case_clash_resolves_to_newest_spelling():
    # 6.7u3 spelled it VibCannot..., later catalogs vibCannot...
    name = "com.vmware.vim.eam.issue.VIBCANNOTPUTHOSTOUTOFMAINTENANCEMODE"
    assert events.resolve(name) == "com.vmware.vim.eam.issue.vibCannotPutHostOutOfMaintenanceMode"
    assert (
        events.resolve("com.vmware.vim.eam.issue.VibCannotPutHostOutOfMaintenanceMode")
        == "com.vmware.vim.eam.issue.VibCannotPutHostOutOfMaintenanceMode"
    )


def test_catalog_is_parsed_once():
    registry.entries.cache_clear()
    registry.entries()
    registry.entries()
    assert registry.entries.cache_info().misses == 1
