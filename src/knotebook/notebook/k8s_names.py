"""Kubernetes name rules, checked before anything reaches kubectl: each returns a reason or "".

The rules are Kubernetes' own (``k8s.io/apimachinery/pkg/util/validation``): DNS-1123 labels and
subdomains, qualified names for label and annotation keys, label values; and the distribution
reference grammar for images (``docker/distribution/reference``).
"""

from __future__ import annotations

import re

DNS_1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
# name components, optional registry host[:port], tag and digest (distribution's grammar)
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_HOST = rf"(?:{_DOMAIN}(?:\.{_DOMAIN})*(?::[0-9]+)?/)"
_TAG = r"(?::[\w][\w.-]{0,127})"
_DIGEST = r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})"
IMAGE = re.compile(rf"{_HOST}?{_COMPONENT}(?:/{_COMPONENT})*{_TAG}?{_DIGEST}?\Z")


def dns_label(value: str) -> str:
    """Why ``value`` is not a DNS-1123 label (Trigger, Service names), or ""."""
    if len(value) > 63:
        return f"{value!r} is longer than 63 characters"
    if not DNS_1123_LABEL.match(value):
        return (
            f"{value!r} must be lowercase letters, digits and '-', starting and ending alphanumeric"
        )
    return ""


def dns_subdomain(value: str) -> str:
    """Why ``value`` is not a DNS-1123 subdomain (Secret names), or ""."""
    if len(value) > 253:
        return f"{value!r} is longer than 253 characters"
    if not value or any(dns_label(part) for part in value.split(".")):
        return (
            f"{value!r} must be lowercase letters, digits, '-' and '.', "
            "each part alphanumeric at both ends"
        )
    return ""


def qualified_name(key: str) -> str:
    """Why ``key`` is not a label or annotation key (``[prefix/]name``), or ""."""
    prefix, _, name = key.rpartition("/")
    if prefix and dns_subdomain(prefix):
        return f"{key!r}: the prefix before '/' must be a DNS subdomain (example.com)"
    if not name or len(name) > 63 or not QUALIFIED_NAME.match(name):
        return (
            f"{key!r} must be at most 63 letters, digits, '-', '_' or '.', alphanumeric at both "
            "ends (with an optional 'example.com/' prefix)"
        )
    return ""


def label_value(value: str) -> str:
    """Why ``value`` is not a label value, or ""."""
    if value and (len(value) > 63 or not QUALIFIED_NAME.match(value)):
        return (
            f"{value!r} must be empty or at most 63 letters, digits, '-', '_' or '.', "
            "alphanumeric at both ends"
        )
    return ""


def image_reference(value: str) -> str:
    """Why ``value`` is not an image reference (``registry/path/name:tag``), or ""."""
    if not IMAGE.match(value) or len(value) > 255:
        return (
            f"{value!r} is not an image reference: lowercase registry/path/name with an optional "
            ":tag or @sha256:digest (registry.example.com/functions/vm-off:0.1.0)"
        )
    return ""
