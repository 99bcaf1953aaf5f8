//! Webhooks as the Standard Webhooks specification describes them: the signature, the secret,
//! the retry schedule, and the guard that keeps deliveries away from private networks.
//!
//! A message is signed as `v1,` + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}"))
//! where the key is the base64 text after `whsec_` in the secret. `docs/webhooks.md` shows how a
//! receiver verifies it.

use std::net::{IpAddr, Ipv4Addr};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A new secret: `whsec_` + base64 of 24 random bytes.
pub fn new_secret() -> String {
    let bytes: [u8; 24] = rand::random();
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// The `webhook-signature` header of a message.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let key = STANDARD.decode(secret.trim_start_matches("whsec_")).unwrap_or_else(|_| secret.as_bytes().to_vec());
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Does a `webhook-signature` header (space-separated `v1,<sig>` entries) hold a valid
/// signature of the message? Compared in constant time.
pub fn verify(secret: &str, id: &str, timestamp: i64, body: &str, header: &str) -> bool {
    let expected = sign(secret, id, timestamp, body);
    header.split(' ').any(|candidate| {
        candidate.len() == expected.len()
            && candidate.bytes().zip(expected.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    })
}

/// Delays before the retries of a failed delivery, from a setting like `"5,300,1800"`
/// (seconds, fractions allowed). Invalid entries are skipped.
pub fn retry_delays(setting: &str) -> Vec<std::time::Duration> {
    setting
        .split(',')
        .filter_map(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(std::time::Duration::from_secs_f64)
        .collect()
}

/// An IPv4 or IPv6 network, `10.0.0.0/8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `addr/prefix` (or a bare address: a single host).
    pub fn parse(text: &str) -> Option<Cidr> {
        let (a, p) = text.trim().split_once('/').map_or((text.trim(), None), |(a, p)| (a, Some(p)));
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Cidr { addr, prefix })
    }

    /// Does the network hold `ip`?
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(x)) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(self.prefix)) };
                u32::from(n) & mask == u32::from(x) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(x)) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(self.prefix)) };
                u128::from(n) & mask == u128::from(x) & mask
            }
            _ => false,
        }
    }
}

/// Networks a delivery may reach although they are private, from a setting like
/// `"127.0.0.0/8, 10.1.0.0/16"`.
pub fn allow_list(setting: &str) -> Vec<Cidr> {
    setting.split(',').filter(|s| !s.trim().is_empty()).filter_map(Cidr::parse).collect()
}

/// Why an address may not receive webhooks, or `None` when it may: loopback, private,
/// link-local (with the cloud metadata address), CGNAT, unspecified, multicast, broadcast,
/// documentation ranges, unique-local IPv6, and IPv4-mapped or -compatible IPv6 forms of any
/// of those.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4).map(|_| "an IPv4-mapped private address");
            }
            let seg0 = v6.segments()[0];
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if v6.is_multicast() {
                Some("multicast")
            } else if seg0 & 0xfe00 == 0xfc00 {
                Some("unique-local (private)")
            } else if seg0 & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if v6.segments()[..6] == [0, 0, 0, 0, 0, 0] {
                Some("IPv4-compatible")
            } else if seg0 == 0x2001 && v6.segments()[1] == 0x0db8 {
                Some("documentation")
            } else {
                None
            }
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some(if o == [169, 254, 169, 254] { "cloud metadata" } else { "link-local" })
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some("CGNAT")
    } else if ip.is_unspecified() || o[0] == 0 {
        Some("unspecified")
    } else if ip.is_multicast() || o[0] >= 240 {
        Some("multicast or reserved")
    } else if ip.is_broadcast() {
        Some("broadcast")
    } else if ip.is_documentation() {
        Some("documentation")
    } else {
        None
    }
}

/// Checks an address against the guard and the allow-list.
pub fn check_address(ip: IpAddr, allowed: &[Cidr]) -> Result<(), String> {
    match forbidden(ip) {
        Some(_) if allowed.iter().any(|c| c.contains(ip)) => Ok(()),
        Some(why) => Err(format!("refused: {ip} is {why} (webhook_allow_private lists the networks allowed)")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        let sig = sign(secret, id, 1614265330, body);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(verify(secret, id, 1614265330, body, &format!("v1,bogus {sig}")));
        assert!(!verify(secret, id, 1614265331, body, &sig));
        assert!(new_secret().starts_with("whsec_"));
    }

    #[test]
    fn private_addresses_are_refused_unless_allowed() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "224.0.0.1",
        ] {
            let ip: IpAddr = bad.parse().expect("ip");
            assert!(forbidden(ip).is_some(), "{bad}");
        }
        for good in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            let ip: IpAddr = good.parse().expect("ip");
            assert_eq!(forbidden(ip), None, "{good}");
        }
        let allowed = allow_list("127.0.0.0/8, 10.1.0.0/16");
        assert!(check_address("127.0.0.1".parse().expect("ip"), &allowed).is_ok());
        assert!(check_address("10.1.200.3".parse().expect("ip"), &allowed).is_ok());
        assert!(check_address("10.2.0.1".parse().expect("ip"), &allowed).is_err());
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(retry_delays("5, 300,x,0.5").len(), 3);
    }
}
