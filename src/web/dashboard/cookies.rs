//! The dashboard's cookies, written by hand (a few lines, no cookie crate):
//! reading one from the `Cookie` header, writing `Set-Cookie` (always
//! `HttpOnly; SameSite=Strict; Path=/`), and the flash message an action
//! leaves for the page it redirects to (hex, so any text survives).

use axum::http::{HeaderMap, HeaderValue, header};

/// The CSRF token's cookie ([`super::csrf`]).
pub(super) const CSRF: &str = "aegis_csrf";
/// The login cookie ([`super::auth`]).
pub(super) const SESSION: &str = "aegis_session";
/// The flash message's cookie.
pub(super) const FLASH: &str = "aegis_flash";

/// The value of the cookie `name`, if the request sent it.
pub(super) fn get<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// A `Set-Cookie` value for `name=value` (`value` must be cookie-safe:
/// hex here), for the session or, with `max_age` 0, deleting it.
pub(super) fn set(name: &str, value: &str, max_age: Option<u32>) -> HeaderValue {
    let age = max_age
        .map(|a| format!("; Max-Age={a}"))
        .unwrap_or_default();
    let text = format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/{age}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("x=; Max-Age=0"))
}

/// A `Set-Cookie` value deleting `name`.
pub(super) fn delete(name: &str) -> HeaderValue {
    set(name, "", Some(0))
}

/// How a flash message reads: an action that worked, or one refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tone {
    /// It worked.
    Ok,
    /// It did not.
    Error,
}

/// The `Set-Cookie` carrying a flash message.
pub(super) fn flash(tone: Tone, text: &str) -> HeaderValue {
    let mark = match tone {
        Tone::Ok => 'o',
        Tone::Error => 'e',
    };
    set(FLASH, &format!("{mark}{}", hex(text.as_bytes())), None)
}

/// The flash message the request carries, if any.
pub(super) fn read_flash(headers: &HeaderMap) -> Option<(Tone, String)> {
    let value = get(headers, FLASH)?;
    let tone = match value.chars().next()? {
        'o' => Tone::Ok,
        'e' => Tone::Error,
        _ => return None,
    };
    let bytes = unhex(&value[1..])?;
    Some((tone, String::from_utf8_lossy(&bytes).into_owned()))
}

/// Lowercase hex.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name_and_flashes_round_trip() {
        let mut headers = HeaderMap::new();
        let flash = flash(Tone::Error, "job 01J is done: ✓ <b>");
        let pair = flash
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let cookie = format!("a=1; {pair}; {CSRF}=abc");
        headers.insert(header::COOKIE, HeaderValue::from_str(&cookie).unwrap());
        assert_eq!(get(&headers, CSRF), Some("abc"));
        assert_eq!(get(&headers, "missing"), None);
        let (tone, text) = read_flash(&headers).unwrap();
        assert_eq!(
            (tone, text.as_str()),
            (Tone::Error, "job 01J is done: ✓ <b>")
        );
        assert!(delete(SESSION).to_str().unwrap().contains("Max-Age=0"));
    }
}
