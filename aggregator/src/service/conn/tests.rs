use super::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

fn limits(max: usize, idle_ms: u64) -> ConnLimits {
    ConnLimits {
        max,
        idle: Duration::from_millis(idle_ms),
    }
}

#[tokio::test]
async fn at_the_limit_the_idlest_connection_goes_or_the_new_one_is_refused() {
    let t = Tracker::new(limits(2, 60_000));
    let (a, mut a_peer) = tokio::io::duplex(64);
    let (b, _b_peer) = tokio::io::duplex(64);
    let mut a = t.admit(a).expect("first");
    let _b = t.admit(b).expect("second");
    // Both fresh: a third is refused, nobody is evicted.
    assert!(t.admit(tokio::io::duplex(64).0).is_none());
    assert_eq!(t.counts().refused, 1);
    assert_eq!(t.counts().open, 2);
    std::thread::sleep(EVICT_AFTER + Duration::from_millis(100));
    // b stays busy; a is the idlest and is evicted for the new one.
    a_peer.write_all(b"x").await.expect("write");
    let mut one = [0u8; 1];
    a.read_exact(&mut one).await.expect("read");
    std::thread::sleep(Duration::from_millis(50));
    let _c = t
        .admit(tokio::io::duplex(64).0)
        .expect("admitted by evicting the idlest");
    assert_eq!(t.counts().evicted, 1);
    assert_eq!(t.counts().open, 2);
    // The evicted one is b (idle since its admission), whichever a reads next.
    assert!(a_peer.write_all(b"y").await.is_ok());
    assert_eq!(a.read(&mut one).await.expect("a still open"), 1);
}

#[tokio::test]
async fn an_evicted_or_idle_connection_fails_its_next_read_and_leaves_the_count() {
    let t = Tracker::new(limits(1, 100));
    let (a, _a_peer) = tokio::io::duplex(64);
    let mut a = t.admit(a).expect("first");
    let reader = tokio::spawn(async move {
        let mut buf = [0u8; 8];
        a.read(&mut buf).await
    });
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(t.sweep(), 1);
    let res = reader.await.expect("task");
    assert_eq!(
        res.expect_err("closed").kind(),
        io::ErrorKind::TimedOut,
        "the waiting reader is woken with an error"
    );
    assert_eq!(t.counts().open, 0);
    assert_eq!(t.counts().timed_out, 1);
    // Dropped connections leave the count too.
    let b = t.admit(tokio::io::duplex(64).0).expect("room again");
    drop(b);
    assert_eq!(t.counts().open, 0);
}

#[test]
fn the_limit_leaves_a_reserve_of_descriptors() {
    let l = ConnLimits::from_descriptor_limit(DEFAULT_IDLE);
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    assert!(
        l.max as u64 + RESERVE <= soft.max(16 + RESERVE),
        "{l:?} soft {soft}"
    );
    assert!(l.max >= 16);
}
