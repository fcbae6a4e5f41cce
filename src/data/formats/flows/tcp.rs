//! Zeek's `conn_state` from the TCP flags flow records carry: each end's flags OR-ed over its
//! packets (nfdump's `flg`, Argus's `-Z b` state such as `S_RA`), turned into the endpoint
//! states of [`crate::data::formats::pcap::flow::conn_state`], which names the connection as
//! Zeek does.
//!
//! Approximate where the flags are: an OR of flags cannot tell a SYN-ACK from a SYN followed by
//! a later ACK, nor the order of FIN and RST, so an end that sent SYN and ACK while its peer sent
//! SYN counts as established, RST wins over FIN (as in the packet path), and the payload test of
//! Zeek's `REJ` (both ends reset, no payload) is taken as false.

use crate::data::formats::pcap::decode::flags::{ACK, FIN, RST, SYN};
use crate::data::formats::pcap::flow::{conn_state, Endpoint};

/// The flag bits of a flag text such as nfdump's `...AP.SF` or Argus's `FSPA`: the letters
/// `F S R P A U E C` (or `W` for CWR), dots and other letters ignored.
pub fn parse_flags(text: &str) -> u8 {
    text.bytes().fold(0, |acc, b| {
        acc | match b {
            b'F' => FIN,
            b'S' => SYN,
            b'R' => RST,
            b'A' => ACK,
            _ => 0,
        }
    })
}

/// The endpoint state of an end that sent `me` (the originator when `is_orig`) facing a peer
/// that sent `peer` (`None`: no packet of the peer was recorded).
fn endpoint(me: u8, peer: Option<u8>, is_orig: bool) -> Endpoint {
    let has = |f: u8, bit: u8| f & bit != 0;
    let peer_flags = peer.unwrap_or(0);
    if has(me, RST) {
        Endpoint::Reset
    } else if has(me, FIN) {
        Endpoint::Closed
    } else if has(me, SYN) && has(me, ACK) && has(peer_flags, SYN) {
        Endpoint::Established
    } else if has(me, SYN) && has(me, ACK) && !is_orig {
        Endpoint::SynAckSent
    } else if has(me, SYN) {
        Endpoint::SynSent
    } else {
        Endpoint::Partial
    }
}

/// Zeek's `conn_state` of a TCP connection whose originator sent `orig` and whose responder
/// sent `resp` (`None` when nothing of the responder was recorded).
pub fn state(orig: u8, resp: Option<u8>) -> &'static str {
    let os = endpoint(orig, resp, true);
    let rs = match resp {
        Some(r) => endpoint(r, Some(orig), false),
        None => Endpoint::Inactive,
    };
    conn_state(os, rs, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_exchanges_get_zeeks_names() {
        let f = parse_flags;
        assert_eq!(f("...AP.SF"), ACK | SYN | FIN);
        assert_eq!(f(".A..S."), ACK | SYN);
        assert_eq!(state(f("...AP.SF"), Some(f("...A..SF"))), "SF");
        assert_eq!(state(f("......S."), None), "S0");
        assert_eq!(state(f("S"), Some(f("RA"))), "REJ");
        assert_eq!(state(f("SR"), Some(f("SA"))), "RSTO");
        assert_eq!(state(f("SA"), Some(f("SAR"))), "RSTR");
        assert_eq!(state(f("SR"), None), "RSTOS0");
        assert_eq!(state(f("SF"), None), "SH");
        assert_eq!(state(f("SPA"), Some(f("SPA"))), "S1");
        assert_eq!(state(f("FSPA"), Some(f("SPA"))), "S2");
        assert_eq!(state(f("PA"), Some(f("PA"))), "OTH");
    }
}
