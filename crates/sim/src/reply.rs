//! Answers every host shares: the data API's refusals, JSON bodies, and the CDN's pages
//! for a client it limits or blocks. Below the handlers and the server alike.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A refusal from the data API; small, so handlers can `?` it around.
#[derive(Debug)]
pub(crate) enum Reject {
    /// No Bearer token at all.
    Unauthenticated,
    /// Unknown, expired or switched-off token.
    TokenNotActive,
    NotOwner,
    NotFound,
    NotAcceptable,
    BadRequest(String),
    Internal,
}

impl IntoResponse for Reject {
    fn into_response(self) -> Response {
        match self {
            Reject::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                axum::Json(serde_json::json!({
                    "error": "unauthorized",
                    "error_description": "Full authentication is required to access this resource"
                })),
            )
                .into_response(),
            Reject::TokenNotActive => token_not_active(),
            Reject::NotOwner => json_response(
                StatusCode::FORBIDDEN,
                serde_json::json!({"message": "Only owner of activity allowed to access this activity"}),
            ),
            Reject::NotFound => json_response(
                StatusCode::NOT_FOUND,
                serde_json::json!({"message": "Not Found"}),
            ),
            Reject::NotAcceptable => StatusCode::NOT_ACCEPTABLE.into_response(),
            Reject::BadRequest(message) => json_response(
                StatusCode::BAD_REQUEST,
                serde_json::json!({"message": message}),
            ),
            Reject::Internal => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }
}

pub(crate) fn json_response(status: StatusCode, value: serde_json::Value) -> Response {
    (status, axum::Json(value)).into_response()
}

/// Garmin's answer to an access token it does not accept (unknown, expired, or issued to a
/// client id it has switched off).
pub(crate) fn token_not_active() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(
            header::WWW_AUTHENTICATE,
            r#"Bearer error="invalid_token", error_description="Token is not active""#,
        )],
        axum::Json(serde_json::json!({
            "error": "invalid_token",
            "error_description": "Token is not active"
        })),
    )
        .into_response()
}

const CLOUDFLARE_429: &str = r#"<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<html class="no-js" lang="en-US">
<head>
<title>Access denied | sso.garmin.com used Cloudflare to restrict access</title>
<meta charset="UTF-8" />
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<meta name="robots" content="noindex, nofollow" />
</head>
<body>
<div id="cf-wrapper">
<div id="cf-error-details" class="p-0">
<header class="mx-auto pt-10 lg:pt-6 lg:px-8 w-240 lg:w-full mb-15 antialiased">
<h1 class="inline-block md:block mr-2 md:mb-2 font-light text-60 md:text-3xl text-black-dark leading-tight">
<span data-translate="error">Error</span>
<span>1015</span>
</h1>
<h2 class="text-gray-600 leading-1.3 text-3xl lg:text-2xl font-light">You are being rate limited</h2>
</header>
<section class="w-240 lg:w-full mx-auto mb-8 lg:px-8">
<p>The owner of this website (sso.garmin.com) has banned you temporarily from accessing this website.</p>
</section>
<div class="cf-error-footer">Cloudflare Ray ID: <strong>8f2b1c3d4e5a6b7c</strong></div>
</div>
</div>
</body>
</html>
"#;

pub(crate) fn too_many(json: bool, retry_after: Option<u64>) -> Response {
    let mut response = if json {
        json_response(
            StatusCode::TOO_MANY_REQUESTS,
            serde_json::json!({"error": {"status-code": "429", "status-message": "Too Many Requests"}}),
        )
    } else {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
            CLOUDFLARE_429,
        )
            .into_response()
    };
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// The CDN refusing the client: Cloudflare's block page (same page as its 429, with a 403),
/// or a bare JSON refusal.
pub(crate) fn forbidden(json: bool) -> Response {
    if json {
        return json_response(
            StatusCode::FORBIDDEN,
            serde_json::json!({"error": {"status-code": "403", "status-message": "Forbidden"}}),
        );
    }
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
        CLOUDFLARE_429,
    )
        .into_response()
}
