"""Security headers on every response: scripts and styles from our own origin only.

The pages carry no inline script or style, so the policy can forbid both: a value that slips
into a page through a bug cannot run. HSTS belongs to the TLS proxy in front (SECURITY.md).
"""

from secure import (
    ContentSecurityPolicy,
    ReferrerPolicy,
    Secure,
    XContentTypeOptions,
    XFrameOptions,
)
from secure.middleware import SecureASGIMiddleware

CONTENT_SECURITY_POLICY = (
    ContentSecurityPolicy()
    .default_src("'self'")
    .img_src("'self'", "data:")  # Swagger UI draws its icons from data: URLs
    .object_src("'none'")
    .base_uri("'self'")
    .form_action("'self'")
    .frame_ancestors("'none'")
)

SECURITY_HEADERS = Secure(
    csp=CONTENT_SECURITY_POLICY,
    referrer=ReferrerPolicy().strict_origin_when_cross_origin(),
    xcto=XContentTypeOptions(),
    xfo=XFrameOptions().deny(),
)

__all__ = ["SECURITY_HEADERS", "SecureASGIMiddleware"]
